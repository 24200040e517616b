/* The story as one self-contained HTML page: a sequence diagram of every
 * message (coloured by the job it serves, dashed while still unencrypted),
 * a details panel for the clicked message, and the narrative.  Inline CSS,
 * SVG and script only; a Content-Security-Policy forbids any fetch.  Every
 * inserted string is HTML-escaped. */
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
#include "core/packet.h"
#include "explain/explain-int.h"

#define ROW_H 40
#define TOP 96
#define X_CLIENT 150
#define X_SERVER 610
#define SVG_W 760

static const char *const JOB_CLASS[] = { "secret", "identity", "both", "session", "other" };

static const char *job_label(int job)
{
	switch (job) {
	case EX_JOB_SECRET: return _("Keeping it secret");
	case EX_JOB_IDENTITY: return _("Proving who you are");
	case EX_JOB_BOTH: return _("Both jobs at once");
	case EX_JOB_SESSION: return _("Session data");
	default: return _("Connection control");
	}
}

const char *ex_msg_explanation(const ex_msg *m)
{
	switch (m->type) {
	case SSH_MSG_KEXINIT:
		return _("Lists the algorithms this side supports, in order of preference. Sent in the clear: "
			 "nothing is secret yet.");
	case SSH_MSG_KEX_ECDH_INIT:
		return _("The client's one-time public value for the key exchange.");
	case SSH_MSG_KEX_ECDH_REPLY:
		return _("The server's host key, its one-time public value, and its signature over the exchange "
			 "hash H: making the secret and proving the server's identity in one message.");
	case SSH_MSG_NEWKEYS:
		return _("From here on, this direction is encrypted with the newly derived keys.");
	case SSH_MSG_EXT_INFO:
		return _("Extra information, such as the signature algorithms the server accepts for user keys.");
	case SSH_MSG_SERVICE_REQUEST:
		return _("Asks to start user authentication (ssh-userauth). Already encrypted.");
	case SSH_MSG_SERVICE_ACCEPT:
		return _("The server agrees to start user authentication.");
	case SSH_MSG_USERAUTH_REQUEST:
		return _("An authentication attempt (the method is in the details). A password would travel "
			 "here, encrypted; it is never recorded.");
	case SSH_MSG_USERAUTH_FAILURE:
		return _("This attempt did not log you in; the server lists the methods that may continue.");
	case SSH_MSG_USERAUTH_SUCCESS:
		return _("You are logged in.");
	case SSH_MSG_USERAUTH_PK_OK:
		return _("The server would accept this public key; a signature is needed next.");
	case SSH_MSG_USERAUTH_BANNER:
		return _("A message from the server, shown before login.");
	case SSH_MSG_GLOBAL_REQUEST:
		return _("A request about the whole connection (for example the server announcing its other host keys).");
	case SSH_MSG_REQUEST_SUCCESS:
	case SSH_MSG_REQUEST_FAILURE:
		return _("The answer to a connection-wide request.");
	case SSH_MSG_CHANNEL_OPEN:
		return _("Opens a channel: one conversation (shell, command, file transfer) inside the connection.");
	case SSH_MSG_CHANNEL_OPEN_CONFIRMATION:
		return _("The channel is open.");
	case SSH_MSG_CHANNEL_OPEN_FAILURE:
		return _("The channel could not be opened.");
	case SSH_MSG_CHANNEL_WINDOW_ADJUST:
		return _("Flow control: permission to send more data.");
	case SSH_MSG_CHANNEL_DATA:
		return _("The session's own bytes, encrypted like everything after NEWKEYS.");
	case SSH_MSG_CHANNEL_EXTENDED_DATA:
		return _("Error output (stderr) of the remote command, encrypted.");
	case SSH_MSG_CHANNEL_EOF:
		return _("No more data will come in this direction.");
	case SSH_MSG_CHANNEL_CLOSE:
		return _("The channel is closed.");
	case SSH_MSG_CHANNEL_REQUEST:
		return _("A request on a channel: run a command, start a shell or a subsystem, a terminal, the exit status...");
	case SSH_MSG_CHANNEL_SUCCESS:
	case SSH_MSG_CHANNEL_FAILURE:
		return _("The answer to a channel request.");
	case SSH_MSG_DISCONNECT:
		return _("Ends the connection.");
	case SSH_MSG_IGNORE:
		return _("A message with no meaning, used as padding to hide traffic patterns.");
	default:
		return "";
	}
}

/* ---------------- writing helpers ---------------- */

static int put(kg_buf *b, const char *s)
{
	return kg_buf_put(b, s, strlen(s));
}

static int esc(kg_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': GUARD(put(b, "&amp;")); break;
		case '<': GUARD(put(b, "&lt;")); break;
		case '>': GUARD(put(b, "&gt;")); break;
		case '"': GUARD(put(b, "&quot;")); break;
		case '\'': GUARD(put(b, "&#39;")); break;
		default: GUARD(kg_buf_put_u8(b, (uint8_t)*s)); break;
		}
	}
	return KG_OK;
}

/* Formats into a scratch string, then escapes it. */
static int escf(kg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int escf(kg_buf *b, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return esc(b, text);
}

static void human_bytes(uint64_t n, char *out, size_t outlen)
{
	if (n < 10000)
		snprintf(out, outlen, "%llu B", (unsigned long long)n);
	else if (n < 10000000)
		snprintf(out, outlen, "%.1f kB", (double)n / 1000.0);
	else
		snprintf(out, outlen, "%.1f MB", (double)n / 1e6);
}

static const char STYLE[] =
	"<style>\n"
	":root{--secret:#2563eb;--identity:#d97706;--both:#7c3aed;--session:#64748b;--other:#94a3b8;"
	"--ink:#1e293b;--muted:#64748b;--bg:#f4f6fb;--card:#fff}\n"
	"*{box-sizing:border-box}body{margin:0;font:15px/1.55 system-ui,-apple-system,'Segoe UI',"
	"'Noto Sans','Noto Sans CJK JP',sans-serif;color:var(--ink);background:var(--bg)}\n"
	"header{background:linear-gradient(120deg,#0f172a,#1e3a8a);color:#fff;padding:28px 36px}\n"
	"header h1{margin:0 0 6px;font-size:24px;font-weight:650}header p{margin:0;opacity:.85}\n"
	".chips{display:flex;flex-wrap:wrap;gap:8px;margin-top:14px}.chip{background:rgba(255,255,255,.12);"
	"border:1px solid rgba(255,255,255,.25);border-radius:999px;padding:3px 12px;font-size:13px}\n"
	"main{max-width:1240px;margin:0 auto;padding:24px}\n"
	".legend{display:flex;flex-wrap:wrap;gap:18px;margin:0 0 16px;font-size:14px}.legend span{display:flex;"
	"align-items:center;gap:6px}.sw{width:26px;height:5px;border-radius:3px;display:inline-block}\n"
	".grid{display:grid;grid-template-columns:minmax(0,780px) minmax(0,1fr);gap:22px;align-items:start}\n"
	".card{background:var(--card);border-radius:14px;box-shadow:0 1px 3px rgba(15,23,42,.08),"
	"0 8px 24px rgba(15,23,42,.06);padding:18px 22px;margin-bottom:22px}\n"
	".card h2{margin:0 0 10px;font-size:18px}#panel{position:sticky;top:16px}\n"
	"svg{display:block;width:100%;height:auto}.msg{cursor:pointer}.msg:hover .hit,.msg.sel .hit{fill:#eef2ff}\n"
	".msg:focus{outline:none}.msg:focus .hit{stroke:#6366f1}.lbl{font:600 13px ui-monospace,Menlo,Consolas,monospace}\n"
	".sub{font:12px system-ui,sans-serif;fill:var(--muted)}.actor{font:600 15px system-ui,sans-serif;fill:#fff}\n"
	"line.secret,path.secret{stroke:var(--secret)}line.identity{stroke:var(--identity)}line.both{stroke:var(--both)}"
	"line.session{stroke:var(--session)}line.other{stroke:var(--other)}\n"
	"text.secret{fill:var(--secret)}text.identity{fill:#b45309}text.both{fill:var(--both)}"
	"text.session{fill:#475569}text.other{fill:var(--muted)}\n"
	".det h3{margin:0 0 4px;font:600 16px ui-monospace,Menlo,Consolas,monospace}.tag{display:inline-block;"
	"color:#fff;border-radius:6px;padding:1px 8px;font-size:12px;margin-bottom:8px}\n"
	".tag.secret{background:var(--secret)}.tag.identity{background:var(--identity)}.tag.both{background:var(--both)}"
	".tag.session{background:var(--session)}.tag.other{background:var(--other)}\n"
	"pre{white-space:pre-wrap;word-break:break-all;background:#f1f5f9;border-radius:8px;padding:10px;"
	"font-size:12.5px;margin:8px 0 0}\n"
	".part{border-left:6px solid var(--session)}.part.p0,.part.p2{border-left-color:var(--identity)}"
	".part.p1{border-left-color:var(--secret)}.part.p4{border-left-color:#dc2626}\n"
	"table.kv{border-collapse:collapse;margin:6px 0 10px;width:100%}table.kv th{text-align:left;font-weight:500;"
	"color:var(--muted);padding:3px 14px 3px 0;width:38%;vertical-align:top}table.kv td{padding:3px 0;"
	"font:13px ui-monospace,Menlo,Consolas,monospace;word-break:break-all}\n"
	".advice{background:#fef2f2;border:1px solid #fecaca;border-radius:10px;padding:10px 14px;margin:8px 0}\n"
	".myth{background:#f0fdf4;border:1px solid #bbf7d0;border-radius:10px;padding:10px 14px;margin:8px 0}\n"
	".myth::before{content:'\\2713  ';color:#16a34a;font-weight:700}.advice::before{content:'!  ';"
	"color:#dc2626;font-weight:800}\n"
	"footer{color:var(--muted);font-size:13px;text-align:center;padding:10px 0 30px}\n"
	"</style>\n";

static const char SCRIPT[] =
	"<script>\n"
	"(function(){var rows=document.querySelectorAll('.msg');\n"
	"function show(g){rows.forEach(function(r){r.classList.remove('sel')});g.classList.add('sel');\n"
	"document.querySelectorAll('.det').forEach(function(d){d.hidden=true});\n"
	"var d=document.getElementById('d-'+g.getAttribute('data-i'));if(d)d.hidden=false;}\n"
	"rows.forEach(function(g){g.addEventListener('click',function(){show(g)});\n"
	"g.addEventListener('mouseenter',function(){show(g)});\n"
	"g.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' ')show(g)})});})();\n"
	"</script>\n";

/* ---------------- the diagram ---------------- */

static int row_label(const ex_msg *m, char *sub, size_t sublen)
{
	char b[32], d[32];
	human_bytes(m->bytes, b, sizeof(b));
	if (m->count > 1 && m->data_bytes) {
		human_bytes(m->data_bytes, d, sizeof(d));
		snprintf(sub, sublen, "\xc3\x97%u \xc2\xb7 %s %s", m->count, d, _("of data"));
	} else if (m->count > 1) {
		snprintf(sub, sublen, "\xc3\x97%u \xc2\xb7 %s", m->count, b);
	} else {
		snprintf(sub, sublen, "%s", b);
	}
	return KG_OK;
}

static int diagram(const kg_explain *ex, kg_buf *b)
{
	size_t n = ex->n_msgs;
	unsigned h = TOP + (unsigned)n * ROW_H + 40;
	GUARD(kg_buf_putf(b, "<svg id=\"sequence-diagram\" viewBox=\"0 0 %d %u\" role=\"img\" aria-label=\"", SVG_W, h));
	GUARD(esc(b, _("Sequence diagram of this connection")));
	GUARD(put(b, "\">\n<defs>"));
	for (size_t j = 0; j < KG_ARRAY_LEN(JOB_CLASS); j++)
		GUARD(kg_buf_putf(b, "<marker id=\"ah-%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"13\" "
				  "markerHeight=\"13\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" "
				  "style=\"fill:var(--%s)\"/></marker>", JOB_CLASS[j], JOB_CLASS[j]));
	GUARD(put(b, "</defs>\n"));
	GUARD(kg_buf_putf(b, "<line x1=\"%d\" y1=\"60\" x2=\"%d\" y2=\"%u\" stroke=\"#cbd5e1\" stroke-width=\"2\"/>"
			  "<line x1=\"%d\" y1=\"60\" x2=\"%d\" y2=\"%u\" stroke=\"#cbd5e1\" stroke-width=\"2\"/>\n",
			  X_CLIENT, X_CLIENT, h - 10, X_SERVER, X_SERVER, h - 10));
	GUARD(kg_buf_putf(b, "<rect x=\"%d\" y=\"14\" width=\"200\" height=\"44\" rx=\"10\" fill=\"#0f172a\"/>"
			  "<text class=\"actor\" x=\"%d\" y=\"42\" text-anchor=\"middle\">", X_CLIENT - 100, X_CLIENT));
	GUARD(escf(b, _("Client (%s)"), ex->program));
	GUARD(kg_buf_putf(b, "</text><rect x=\"%d\" y=\"14\" width=\"200\" height=\"44\" rx=\"10\" fill=\"#0f172a\"/>"
			  "<text class=\"actor\" x=\"%d\" y=\"42\" text-anchor=\"middle\">", X_SERVER - 100, X_SERVER));
	GUARD(escf(b, _("Server (%s)"), ex->host ? ex->host : "?"));
	GUARD(put(b, "</text>\n"));
	int enc_c2s = 0, enc_s2c = 0;
	for (size_t i = 0; i < n; i++) {
		const ex_msg *m = &ex->msgs[i];
		const char *cls = JOB_CLASS[m->job < KG_ARRAY_LEN(JOB_CLASS) ? m->job : EX_JOB_OTHER];
		int enc = m->sent ? enc_c2s : enc_s2c;
		unsigned y = TOP + (unsigned)i * ROW_H;
		int x1 = m->sent ? X_CLIENT : X_SERVER, x2 = m->sent ? X_SERVER - 4 : X_CLIENT + 4;
		char sub[96];
		GUARD(row_label(m, sub, sizeof(sub)));
		GUARD(kg_buf_putf(b, "<g class=\"msg\" tabindex=\"0\" data-i=\"%zu\"><title>", i));
		GUARD(escf(b, "%s %s \xe2\x80\x94 %s", m->sent ? "\xe2\x86\x92" : "\xe2\x86\x90", ex_msg_name(m->type),
			   ex_msg_explanation(m)));
		GUARD(kg_buf_putf(b, "</title><rect class=\"hit\" x=\"8\" y=\"%u\" width=\"%d\" height=\"%d\" rx=\"8\" "
				  "fill=\"transparent\" stroke=\"none\"/>", y - 24, SVG_W - 16, ROW_H - 2));
		GUARD(kg_buf_putf(b, "<text class=\"sub\" x=\"22\" y=\"%u\">%zu</text>", y + 4, i + 1));
		GUARD(kg_buf_putf(b, "<line class=\"%s\" x1=\"%d\" y1=\"%u\" x2=\"%d\" y2=\"%u\" stroke-width=\"%s\"%s "
				  "marker-end=\"url(#ah-%s)\"/>", cls, x1, y, x2, y, m->count > 1 ? "3.5" : "2.2",
				  enc ? "" : " stroke-dasharray=\"7 5\"", cls));
		GUARD(kg_buf_putf(b, "<text class=\"lbl %s\" x=\"%d\" y=\"%u\" text-anchor=\"middle\">", cls,
				  (X_CLIENT + X_SERVER) / 2, y - 7));
		GUARD(esc(b, ex_msg_name(m->type)));
		GUARD(kg_buf_putf(b, "</text><text class=\"sub\" x=\"%d\" y=\"%u\" text-anchor=\"middle\">",
				  (X_CLIENT + X_SERVER) / 2, y + 15));
		GUARD(esc(b, sub));
		GUARD(put(b, "</text>"));
		if (enc)  /* a small padlock beside encrypted messages */
			GUARD(kg_buf_putf(b, "<g transform=\"translate(%d %u)\" fill=\"#16a34a\"><rect x=\"0\" y=\"4\" "
					  "width=\"11\" height=\"9\" rx=\"2\"/><path d=\"M2.5 4.5V3a3 3 0 0 1 6 0v1.5\" "
					  "fill=\"none\" stroke=\"#16a34a\" stroke-width=\"1.6\"/></g>",
					  SVG_W - 120, y - 8));
		GUARD(kg_buf_putf(b, "<text class=\"sub\" x=\"%d\" y=\"%u\">", SVG_W - 104, y + 4));
		GUARD(esc(b, enc ? _("encrypted") : _("in the clear")));
		GUARD(put(b, "</text></g>\n"));
		if (m->type == SSH_MSG_NEWKEYS) {
			if (m->sent)
				enc_c2s = 1;
			else
				enc_s2c = 1;
		}
	}
	if (ex->msgs_dropped)
		GUARD(kg_buf_putf(b, "<text class=\"sub\" x=\"%d\" y=\"%u\" text-anchor=\"middle\">+%llu</text>",
				  (X_CLIENT + X_SERVER) / 2, h - 16, (unsigned long long)ex->msgs_dropped));
	return put(b, "</svg>\n");
}

static int details(const kg_explain *ex, kg_buf *b)
{
	GUARD(put(b, "<div class=\"card\" id=\"panel\"><h2>"));
	GUARD(esc(b, _("Details")));
	GUARD(put(b, "</h2><div class=\"det\" id=\"d-intro\"><p>"));
	GUARD(esc(b, _("Point at or click a message in the diagram to see what it carried and why. Dashed "
		       "arrows travel in the clear, solid ones are encrypted.")));
	GUARD(put(b, "</p></div>\n"));
	for (size_t i = 0; i < ex->n_msgs; i++) {
		const ex_msg *m = &ex->msgs[i];
		const char *cls = JOB_CLASS[m->job < KG_ARRAY_LEN(JOB_CLASS) ? m->job : EX_JOB_OTHER];
		char sub[96];
		GUARD(row_label(m, sub, sizeof(sub)));
		GUARD(kg_buf_putf(b, "<div class=\"det\" id=\"d-%zu\" hidden><h3>", i));
		GUARD(escf(b, "%zu. %s %s", i + 1, m->sent ? "\xe2\x86\x92" : "\xe2\x86\x90", ex_msg_name(m->type)));
		GUARD(kg_buf_putf(b, "</h3><span class=\"tag %s\">", cls));
		GUARD(esc(b, job_label(m->job)));
		GUARD(put(b, "</span><p>"));
		GUARD(esc(b, ex_msg_explanation(m)));
		GUARD(put(b, "</p><pre>"));
		GUARD(escf(b, "%s: %s\n%s", _("from"), m->sent ? _("client") : _("server"), sub));
		if (m->detail) {
			GUARD(put(b, "\n"));
			GUARD(esc(b, m->detail));
		}
		GUARD(put(b, "</pre></div>\n"));
	}
	return put(b, "</div>\n");
}

/* ---------------- the narrative ---------------- */

static int story(const kg_explain *ex, int part, unsigned *section, kg_buf *b)
{
	kg_buf items;
	kg_buf_init(&items, 1024 * 1024);
	int r = ex_story_part(ex, part, section, &items);
	if (r < 0 || kg_buf_len(&items) == 0) {
		kg_buf_free(&items);
		return r;
	}
	GUARD_GOTO(r, kg_buf_putf(b, "<section class=\"card part p%d\">\n", part), out);
	const char *s = (const char *)kg_buf_ptr(&items), *end = s + kg_buf_len(&items);
	char prev = 0;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		char line[8192];
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = '\0';
		s += n + 1;
		if (n < 2)
			continue;
		char kind = line[0], *text = line + 2;
		if (prev == 'V' && kind != 'V')
			GUARD_GOTO(r, put(b, "</table>\n"), out);
		if (prev == 'B' && kind != 'B')
			GUARD_GOTO(r, put(b, "</ul>\n"), out);
		if (kind == 'V' && prev != 'V')
			GUARD_GOTO(r, put(b, "<table class=\"kv\">"), out);
		if (kind == 'B' && prev != 'B')
			GUARD_GOTO(r, put(b, "<ul>"), out);
		const char *open = "<p>", *close = "</p>\n";
		switch (kind) {
		case 'T': open = "<h2>"; close = "</h2>\n"; break;
		case 'B': open = "<li>"; close = "</li>\n"; break;
		case 'A': open = "<div class=\"advice\">"; close = "</div>\n"; break;
		case 'M': open = "<div class=\"myth\">"; close = "</div>\n"; break;
		case 'V': {
			char *tab = strchr(text, '\t');
			if (tab)
				*tab++ = '\0';
			GUARD_GOTO(r, put(b, "<tr><th>"), out);
			GUARD_GOTO(r, esc(b, text), out);
			GUARD_GOTO(r, put(b, "</th><td>"), out);
			text = tab ? tab : (char *)"";
			open = "";
			close = "</td></tr>\n";
			break;
		}
		default: break;
		}
		GUARD_GOTO(r, put(b, open), out);
		GUARD_GOTO(r, esc(b, text), out);
		GUARD_GOTO(r, put(b, close), out);
		prev = kind;
	}
	if (prev == 'V')
		GUARD_GOTO(r, put(b, "</table>\n"), out);
	if (prev == 'B')
		GUARD_GOTO(r, put(b, "</ul>\n"), out);
	r = put(b, "</section>\n");
out:
	kg_buf_free(&items);
	return r;
}

static int page(const kg_explain *ex, kg_buf *b)
{
	GUARD(put(b, "<!DOCTYPE html>\n<html lang=\""));
	/* TRANSLATORS: the language code of this catalog, for the HTML page */
	GUARD(esc(b, _("en")));
	GUARD(put(b, "\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\""
		     "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>"));
	GUARD(escf(b, "%s --explain: %s@%s", ex->program, ex->user ? ex->user : "?", ex->host ? ex->host : "?"));
	GUARD(put(b, "</title>\n"));
	GUARD(put(b, STYLE));
	GUARD(put(b, "</head>\n<body>\n<header><h1>"));
	GUARD(escf(b, _("How this SSH connection worked: %s@%s"), ex->user ? ex->user : "?", ex->host ? ex->host : "?"));
	GUARD(put(b, "</h1><p>"));
	GUARD(esc(b, _("Public-key cryptography did two different jobs here: keeping the channel secret, and proving "
		       "who is at each end.")));
	GUARD(put(b, "</p><div class=\"chips\">"));
	const char *chips[] = { ex->peer_version, ex->kex, ex->cipher_c2s, ex->hk_fp, ex->auth_method };
	for (size_t i = 0; i < KG_ARRAY_LEN(chips); i++) {
		if (!chips[i] || !*chips[i])
			continue;
		GUARD(put(b, "<span class=\"chip\">"));
		GUARD(esc(b, chips[i]));
		GUARD(put(b, "</span>"));
	}
	GUARD(put(b, "</div></header>\n<main>\n<div class=\"legend\">"));
	for (int j = 0; j < 4; j++) {
		GUARD(kg_buf_putf(b, "<span><i class=\"sw\" style=\"background:var(--%s)\"></i>", JOB_CLASS[j]));
		GUARD(esc(b, job_label(j)));
		GUARD(put(b, "</span>"));
	}
	GUARD(put(b, "</div>\n<div class=\"grid\"><div class=\"card\"><h2>"));
	GUARD(esc(b, _("Every message of this connection")));
	GUARD(put(b, "</h2>\n"));
	GUARD(diagram(ex, b));
	GUARD(put(b, "</div>\n<div>"));
	GUARD(details(ex, b));
	GUARD(put(b, "</div></div>\n"));
	unsigned section = 0;
	for (int p = 0; p < EX_NPARTS; p++)
		GUARD(story(ex, p, &section, b));
	GUARD(put(b, "<footer>"));
	GUARD(esc(b, _("No secret appears on this page: no password, shared secret, session key or private key.")));
	GUARD(put(b, "</footer>\n</main>\n"));
	GUARD(put(b, SCRIPT));
	return put(b, "</body></html>\n");
}

int kg_explain_html_write(const kg_explain *ex, const char *path)
{
	kg_buf b;
	kg_buf_init(&b, 64u * 1024 * 1024);
	int r = page(ex, &b);
	if (r < 0) {
		kg_buf_free(&b);
		return r;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kg_buf_free(&b);
		return KG_ERR_SYSTEM;
	}
	const uint8_t *p = kg_buf_ptr(&b);
	size_t left = kg_buf_len(&b);
	while (left > 0 && r == KG_OK) {
		ssize_t w = write(fd, p, left);
		if (w <= 0)
			r = KG_ERR_SYSTEM;
		else {
			p += w;
			left -= (size_t)w;
		}
	}
	if (close(fd) != 0 && r == KG_OK)
		r = KG_ERR_SYSTEM;
	kg_buf_free(&b);
	return r;
}
