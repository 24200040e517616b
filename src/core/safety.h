/* Guard macros: every fallible call is checked, and a failed check returns
 * the error upward instead of exiting the process. */
#ifndef KAGI_SAFETY_H
#define KAGI_SAFETY_H

#include "core/err.h"

#define KG_WUR __attribute__((warn_unused_result))

/* Return the error if expression x (an int) is negative. */
#define GUARD(x) do { int guard_r_ = (x); if (guard_r_ < 0) return guard_r_; } while (0)
/* Return err unless cond holds. */
#define ENSURE(cond, err) do { if (!(cond)) return (err); } while (0)
/* Set r to the result of x and jump to label out if it is negative. */
#define GUARD_GOTO(r, x, out) do { if (((r) = (x)) < 0) goto out; } while (0)
/* Set r to err and jump to out unless cond holds. */
#define ENSURE_GOTO(r, cond, err, out) do { if (!(cond)) { (r) = (err); goto out; } } while (0)

#define KG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
