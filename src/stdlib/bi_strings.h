/* Builtin rows owned by bi_strings.c; see builtins.h for the row format. */
#ifndef POL_STDLIB_BI_STRINGS_H
#define POL_STDLIB_BI_STRINGS_H
#define BI_LIST_STRINGS(X)
#endif
