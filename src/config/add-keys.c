/* AddKeysToAgent: parsing and ssh -G's form. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "config/add-keys.h"
#include "config/config-common.h"

static int word_mode(const char *w, size_t n)
{
	static const struct { const char *name; int mode; } words[] = {
		{ "yes", KG_ADDKEYS_YES }, { "true", KG_ADDKEYS_YES }, { "no", KG_ADDKEYS_NO },
		{ "false", KG_ADDKEYS_NO }, { "ask", KG_ADDKEYS_ASK }, { "confirm", KG_ADDKEYS_CONFIRM },
	};
	for (size_t i = 0; i < KG_ARRAY_LEN(words); i++)
		if (strlen(words[i].name) == n && strncasecmp(words[i].name, w, n) == 0)
			return words[i].mode;
	return -1;
}

int kg_add_keys_parse(const char *value, kg_add_keys *out)
{
	kg_add_keys a = { KG_ADDKEYS_NO, 0 };
	if (!value) {
		*out = a;
		return KG_OK;
	}
	const char *sp = " \t";
	const char *w1 = value + strspn(value, sp);
	size_t n1 = strcspn(w1, sp);
	const char *w2 = w1 + n1 + strspn(w1 + n1, sp);
	size_t n2 = strcspn(w2, sp);
	ENSURE(n1 > 0 && n1 < 64 && n2 < 64 && w2[n2 + strspn(w2 + n2, sp)] == '\0', KG_ERR_CONFIG);
	char t[64];
	a.mode = word_mode(w1, n1);
	if (a.mode < 0 && n2 == 0) {
		/* a bare lifetime: yes, for that long */
		memcpy(t, w1, n1);
		t[n1] = '\0';
		GUARD(kg_cfg_parse_time(t, &a.lifetime));
		ENSURE(a.lifetime > 0, KG_ERR_CONFIG);
		a.mode = KG_ADDKEYS_YES;
	} else if (a.mode == KG_ADDKEYS_CONFIRM && n2 > 0) {
		memcpy(t, w2, n2);
		t[n2] = '\0';
		GUARD(kg_cfg_parse_time(t, &a.lifetime));
	} else if (a.mode < 0 || n2 > 0) {
		return KG_ERR_CONFIG;
	}
	*out = a;
	return KG_OK;
}

void kg_add_keys_format(const kg_add_keys *a, char *buf, size_t len)
{
	static const char *const names[] = { "false", "true", "ask", "confirm" };
	const char *name = a->mode >= 0 && a->mode <= 3 ? names[a->mode] : "false";
	if (a->lifetime <= 0)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%s%ld", a->mode == KG_ADDKEYS_CONFIRM ? "confirm " : "", a->lifetime);
}
