/* All of one client connection's forwardings (see cli-forward.h): the
 * specifications checked, the local and dynamic ones handed to
 * cli-fwd-local.c, the remote ones to cli-fwd-remote.c, and the ~C
 * command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conn/cli-forward.h"
#include "conn/cli-fwd-local.h"

struct kg_cli_forwards {
	kg_client *c;
	kg_cli_rfwd *rfwd;
	kg_cli_lfwd *lfwd;
	size_t asked, answered;  /* remote requests of start, and their answers */
	int remote_failed;
};

static const char *kind_word(int kind)
{
	return kind == KG_FWDSPEC_LOCAL ? "local" : kind == KG_FWDSPEC_REMOTE ? "remote" : "dynamic";
}

int kg_cli_forwards_check_arg(int flag, const char *arg, char *msg, size_t msglen)
{
	int kind = flag == 'L' ? KG_FWDSPEC_LOCAL : flag == 'R' ? KG_FWDSPEC_REMOTE : KG_FWDSPEC_DYNAMIC;
	kg_fwd_spec spec;
	if (kg_fwd_spec_parse(arg, kind, &spec) < 0) {
		snprintf(msg, msglen, "Bad %s forwarding specification '%s'", kind_word(kind), arg);
		return KG_ERR_ARG;
	}
	kg_fwd_spec_free(&spec);
	return KG_OK;
}

static const kg_strlist *list_of(const kg_client_config *cfg, int kind)
{
	return kind == KG_FWDSPEC_LOCAL ? &cfg->local_forwards :
	       kind == KG_FWDSPEC_REMOTE ? &cfg->remote_forwards : &cfg->dynamic_forwards;
}

int kg_cli_forwards_check_config(const kg_client_config *cfg, char *msg, size_t msglen)
{
	unsigned mask;
	if (kg_cli_lfwd_mask(cfg, &mask) < 0) {
		snprintf(msg, msglen, "Bad mask '%s' (StreamLocalBindMask).", cfg->stream_local_bind_mask);
		return KG_ERR_CONFIG;
	}
	for (int kind = 0; kind <= KG_FWDSPEC_DYNAMIC; kind++) {
		const kg_strlist *l = list_of(cfg, kind);
		for (size_t i = 0; i < l->n; i++) {
			kg_fwd_spec spec;
			if (kg_fwd_spec_parse_config(l->v[i], kind, &spec) < 0) {
				snprintf(msg, msglen, "Bad %s forwarding specification '%s'", kind_word(kind), l->v[i]);
				return KG_ERR_CONFIG;
			}
			kg_fwd_spec_free(&spec);
		}
	}
	return KG_OK;
}

int kg_cli_forwards_new(kg_client *c, kg_cli_forwards **out)
{
	kg_cli_forwards *f = calloc(1, sizeof(*f));
	ENSURE(f, KG_ERR_ALLOC);
	f->c = c;
	int r = kg_cli_lfwd_new(&c->eng, c->log, c->cfg, &f->lfwd);
	if (r >= 0)
		r = kg_cli_rfwd_new(&c->eng, &c->dispatch, c->log, c->cfg, &f->rfwd);
	if (r < 0) {
		kg_cli_forwards_free(f);
		return r;
	}
	*out = f;
	return KG_OK;
}

static void start_done(void *arg, const kg_fwd_spec *spec, int ok, int allocated_port, const char *msg)
{
	kg_cli_forwards *f = arg;
	(void)spec;
	(void)allocated_port;
	(void)msg;
	f->answered++;
	if (!ok)
		f->remote_failed++;
}

static int all_answered(void *arg)
{
	const kg_cli_forwards *f = arg;
	return f->answered >= f->asked;
}

/* The local or dynamic ones of the configuration: how many failed. */
static int start_local(kg_cli_forwards *f, int kind, size_t *n, size_t *failed)
{
	const kg_strlist *l = list_of(f->c->cfg, kind);
	for (size_t i = 0; i < l->n; i++) {
		kg_fwd_spec spec;
		GUARD(kg_fwd_spec_parse_config(l->v[i], kind, &spec));
		int r = kg_cli_lfwd_add(f->lfwd, &spec);
		kg_fwd_spec_free(&spec);
		if (r == KG_ERR_ALLOC)
			return r;
		(*n)++;
		if (r < 0)
			(*failed)++;
	}
	return KG_OK;
}

int kg_cli_forwards_start(kg_cli_forwards *f)
{
	const kg_client_config *cfg = f->c->cfg;
	kg_logger *log = f->c->log;
	size_t n = 0, failed = 0;
	GUARD(start_local(f, KG_FWDSPEC_LOCAL, &n, &failed));
	GUARD(start_local(f, KG_FWDSPEC_DYNAMIC, &n, &failed));
	if (n && failed && cfg->exit_on_forward_failure == 1) {
		kg_error(log, "Could not request local forwarding.");
		return KG_ERR_CONFIG;
	}
	if (n && failed == n)
		kg_error(log, "Could not request local forwarding.");
	const kg_strlist *rl = &cfg->remote_forwards;
	for (size_t i = 0; i < rl->n; i++) {
		kg_fwd_spec spec;
		GUARD(kg_fwd_spec_parse_config(rl->v[i], KG_FWDSPEC_REMOTE, &spec));
		size_t before = f->answered;
		f->asked++;
		int r = kg_cli_rfwd_add(f->rfwd, &spec, start_done, f);
		kg_fwd_spec_free(&spec);
		if (r == KG_ERR_ALLOC)
			return r;
		if (r < 0 && f->answered == before) {
			f->answered++;
			f->remote_failed++;
		}
	}
	if (f->asked > f->answered) {
		/* The server answers in order; the session starts after. */
		int r = kg_engine_run(&f->c->eng, all_answered, f, -1);
		if (r < 0 && !all_answered(f))
			return r;
	}
	if (f->remote_failed && cfg->exit_on_forward_failure == 1)
		return KG_ERR_CONFIG;
	return KG_OK;
}

int kg_cli_forwards_add(kg_cli_forwards *f, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	if (spec->kind == KG_FWDSPEC_REMOTE)
		return kg_cli_rfwd_add(f->rfwd, spec, done, arg);
	int r = kg_cli_lfwd_add(f->lfwd, spec);
	if (done)
		done(arg, spec, r >= 0, 0, r >= 0 ? NULL : "Port forwarding failed.");
	return r;
}

int kg_cli_forwards_cancel(kg_cli_forwards *f, const kg_fwd_spec *spec, kg_cli_fwd_done done, void *arg)
{
	if (spec->kind == KG_FWDSPEC_REMOTE)
		return kg_cli_rfwd_cancel(f->rfwd, spec, done, arg);
	int r = kg_cli_lfwd_cancel(f->lfwd, spec);
	if (done)
		done(arg, spec, r >= 0, 0, r >= 0 ? NULL : "Unknown port forwarding.");
	return r;
}

/* ~C: "-L spec", "-R spec", "-D spec" and "-KL/-KR/-KD spec", with
 * OpenSSH's answers, logged at INFO as ssh logs them (LogLevel ERROR hides
 * them); msg stays empty. */
int kg_cli_forwards_command(void *arg, const char *line, char *msg, size_t msglen)
{
	kg_cli_forwards *f = arg;
	const char *p = line;
	int cancel = 0, kind;
	msg[0] = '\0';
	if (!f) {
		snprintf(msg, msglen, "forwarding is not available in this connection");
		return KG_ERR_CONFIG;
	}
	kg_logger *log = f->c->log;
	if (*p++ != '-')
		goto invalid;
	if (*p == 'K') {
		cancel = 1;
		p++;
	}
	switch (*p++) {
	case 'L': kind = KG_FWDSPEC_LOCAL; break;
	case 'R': kind = KG_FWDSPEC_REMOTE; break;
	case 'D': kind = KG_FWDSPEC_DYNAMIC; break;
	default: goto invalid;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	kg_fwd_spec spec;
	if (cancel) {
		/* Only the listen side: "[bind:]port" or a path. */
		int r = KG_OK;
		if (strchr(p, '/')) {
			memset(&spec, 0, sizeof(spec));
			spec.listen_port = -1;
			spec.listen_path = strdup(p);
			if (!spec.listen_path)
				return KG_ERR_ALLOC;
		} else {
			r = kg_fwd_spec_parse(p, KG_FWDSPEC_DYNAMIC, &spec);
		}
		if (r < 0) {
			kg_info(log, "Bad forwarding close specification.");
			return KG_ERR_ARG;
		}
		spec.kind = kind;
		spec.dynamic = kind == KG_FWDSPEC_DYNAMIC;
		r = kg_cli_forwards_cancel(f, &spec, NULL, NULL);
		kg_fwd_spec_free(&spec);
		kg_info(log, "%s", r >= 0 ? "Canceled forwarding." : "Unknown port forwarding.");
		return r == KG_ERR_ALLOC ? r : KG_OK;
	}
	if (kg_fwd_spec_parse(p, kind, &spec) < 0) {
		kg_info(log, "Bad %s forwarding specification.", kind_word(kind));
		return KG_ERR_ARG;
	}
	int r = kg_cli_forwards_add(f, &spec, NULL, NULL);
	kg_fwd_spec_free(&spec);
	kg_info(log, "%s", r >= 0 ? "Forwarding port." : "Port forwarding failed.");
	return r == KG_ERR_ALLOC ? r : KG_OK;
invalid:
	kg_info(log, "Invalid command.");
	return KG_ERR_ARG;
}

int kg_cli_forwards_idle(void *arg)
{
	const kg_cli_forwards *f = arg;
	const kg_conn *cn = &f->c->eng.conn;
	if (!f->c->eng.conn_ready)
		return 1;
	for (uint32_t i = 0; i < cn->cfg.max_channels; i++)
		if (cn->chans[i].state != KG_CH_FREE && cn->chans[i].user)
			return 0;
	return 1;
}

void kg_cli_forwards_free(kg_cli_forwards *f)
{
	if (!f)
		return;
	kg_cli_rfwd_free(f->rfwd);
	kg_cli_lfwd_free(f->lfwd);
	free(f);
}
