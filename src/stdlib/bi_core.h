/* Builtin rows owned by bi_core.c; see builtins.h for the row format. */
#ifndef POL_STDLIB_BI_CORE_H
#define POL_STDLIB_BI_CORE_H
#define BI_LIST_CORE(X)
#endif
