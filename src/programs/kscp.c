/* kscp: secure copy, OpenSSH scp's flags and meaning; also the remote end
 * ("kscp -t" / "kscp -f") of a legacy scp copy. */
#include <locale.h>
#include <string.h>
#include "scp/scp-client.h"
#include "scp/scp.h"

/* The remote role is chosen by -t or -f among the leading options, as
 * the remote shell passes them ("scp -v -r -p -t -- target"). */
static int is_remote_role(int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][1] != '-' && (strchr(argv[i] + 1, 't') || strchr(argv[i] + 1, 'f')) &&
		    strspn(argv[i] + 1, "dfprtvq") == strlen(argv[i] + 1))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (is_remote_role(argc, argv))
		return kg_scp_remote_main(argc, argv);
	/* The character set decides which bytes of a peer's text are shown
	 * as they are (whole UTF-8 characters) and which escaped. */
	(void)setlocale(LC_CTYPE, "");
	return kg_scp_client_main(argc, argv);
}
