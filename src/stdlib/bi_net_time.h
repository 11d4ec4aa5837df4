/* Builtin rows owned by bi_net_time.c; see builtins.h for the row format. */
#ifndef POL_STDLIB_BI_NET_TIME_H
#define POL_STDLIB_BI_NET_TIME_H
#define BI_LIST_NET_TIME(X)
#endif
