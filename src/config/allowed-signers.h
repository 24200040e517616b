/* allowed_signers files (ssh-keygen(1) ALLOWED SIGNERS), used to check SSH
 * signatures (-Y verify, -Y find-principals):
 *
 *   principals [options] keytype base64 [comment]
 *
 * principals is a pattern list (quoted if it has blanks); options are
 * namespaces="n1,n2", valid-after="time", valid-before="time" and
 * cert-authority (kagi has no certificates yet: such lines never match).
 * Bad lines are skipped, never fatal. */
#ifndef KAGI_ALLOWED_SIGNERS_H
#define KAGI_ALLOWED_SIGNERS_H

#include <stddef.h>
#include <time.h>
#include "core/buf.h"
#include "core/key.h"

/* KG_OK if some line lets principal sign with key in namespace ns at time
 * now; KG_ERR_NOT_FOUND if none does. */
int kg_allowed_signers_check(const char *text, size_t len, const char *principal, const kg_key *key,
			     const char *ns, time_t now) KG_WUR;

/* Appends the principals field of the first line listing key (valid at now;
 * for namespace ns unless ns is NULL), one principal per line, to out.
 * KG_ERR_NOT_FOUND if no line lists it. */
int kg_allowed_signers_find(const char *text, size_t len, const kg_key *key, const char *ns, time_t now,
			    kg_buf *out) KG_WUR;

/* Parses "YYYYMMDD", "YYYYMMDDHHMM" or "YYYYMMDDHHMMSS", local time unless
 * it ends in "Z" (UTC). */
int kg_allowed_signers_time(const char *s, time_t *out) KG_WUR;

#endif
