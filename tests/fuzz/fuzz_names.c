/* Fuzzes name-list handling: the input is split at NUL bytes into
 * defaults, supported and spec (and a server list), then assembled and
 * negotiated.  Checks the results keep their promises, not just that
 * nothing crashes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/names.h"

/* Next NUL-terminated piece of the input (copied), or "" when used up. */
static char *take(const uint8_t **p, size_t *left)
{
	const uint8_t *nul = memchr(*p, 0, *left);
	size_t n = nul ? (size_t)(nul - *p) : *left;
	char *s = malloc(n + 1);
	if (s == NULL)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p += n;
	*left -= n;
	if (*left > 0) {
		(*p)++;
		(*left)--;
	}
	return s;
}

/* Every element of list is a member of other. */
static int all_in(const char *list, const char *other)
{
	char *copy = strdup(list), *save = NULL;
	if (copy == NULL)
		abort();
	int ok = 1;
	for (char *e = strtok_r(copy, ",", &save); e && ok; e = strtok_r(NULL, ",", &save))
		ok = kg_namelist_has(other, e);
	free(copy);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	char *defaults = take(&p, &left);
	char *supported = take(&p, &left);
	char *spec = take(&p, &left);
	char *server = take(&p, &left);

	char *list = NULL;
	int r = kg_alglist_assemble(defaults, supported, spec, &list);
	if (r == 0) {
		/* Non-empty, only supported names, no empty elements. */
		if (list[0] == '\0' || list[0] == ',' || strstr(list, ",,") ||
		    list[strlen(list) - 1] == ',' || !all_in(list, supported))
			abort();
		char *chosen = NULL;
		if (kg_namelist_choose(list, server, &chosen) == 0) {
			if (!kg_namelist_has(list, chosen) || !kg_namelist_has(server, chosen))
				abort();
			free(chosen);
		}
		free(list);
	} else if (list != NULL) {
		abort();
	}

	char *chosen = NULL;
	if (kg_namelist_choose(spec, server, &chosen) == 0) {
		if (!kg_namelist_has(spec, chosen) || !kg_namelist_has(server, chosen))
			abort();
		free(chosen);
	}
	(void)kg_glob_match(spec, server);
	free(defaults);
	free(supported);
	free(spec);
	free(server);
	return 0;
}
