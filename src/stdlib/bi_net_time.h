/* Builtin rows owned by bi_net_time.c; see builtins.h for the row format.
 *
 * BIF_NONDET marks results that may differ between evaluations (clock,
 * randomness, DNS); within one evaluation they are stable: time.now_ns is
 * ctx->now_ns, and uuid.rfc4122 / rand.intn are derived from ctx->seed and
 * their arguments. net.lookup_ip_addr performs I/O (getaddrinfo).
 * BIF_ENV marks the time builtins that accept a zone name: "Local" and the
 * IANA zones are read from the machine that evaluates. */
#ifndef POL_STDLIB_BI_NET_TIME_H
#define POL_STDLIB_BI_NET_TIME_H

#define BI_LIST_NET_TIME(X)                                                                                  \
    X(NET_CIDR_CONTAINS, "net.cidr_contains", 2, BIF_NONE, bi_net_cidr_contains)                             \
    X(NET_CIDR_OVERLAP, "net.cidr_overlap", 2, BIF_NONE, bi_net_cidr_contains)                               \
    X(NET_CIDR_INTERSECTS, "net.cidr_intersects", 2, BIF_NONE, bi_net_cidr_intersects)                       \
    X(NET_CIDR_IS_VALID, "net.cidr_is_valid", 1, BIF_NONE, bi_net_cidr_is_valid)                             \
    X(NET_CIDR_EXPAND, "net.cidr_expand", 1, BIF_NONE, bi_net_cidr_expand)                                   \
    X(NET_CIDR_CONTAINS_MATCHES, "net.cidr_contains_matches", 2, BIF_NONE, bi_net_cidr_contains_matches)     \
    X(NET_CIDR_MERGE, "net.cidr_merge", 1, BIF_NONE, bi_net_cidr_merge)                                      \
    X(NET_LOOKUP_IP_ADDR, "net.lookup_ip_addr", 1, BIF_NONDET, bi_net_lookup_ip_addr)                        \
    X(HTTP_SEND, "http.send", 1, BIF_NONDET, bi_http_send)                                                   \
    X(TIME_NOW_NS, "time.now_ns", 0, BIF_NONDET, bi_time_now_ns)                                             \
    X(TIME_PARSE_NS, "time.parse_ns", 2, BIF_NONE, bi_time_parse_ns)                                         \
    X(TIME_PARSE_RFC3339_NS, "time.parse_rfc3339_ns", 1, BIF_NONE, bi_time_parse_rfc3339_ns)                 \
    X(TIME_PARSE_DURATION_NS, "time.parse_duration_ns", 1, BIF_NONE, bi_time_parse_duration_ns)              \
    X(TIME_DATE, "time.date", 1, BIF_ENV, bi_time_date)                                                      \
    X(TIME_CLOCK, "time.clock", 1, BIF_ENV, bi_time_clock)                                                   \
    X(TIME_WEEKDAY, "time.weekday", 1, BIF_ENV, bi_time_weekday)                                             \
    X(TIME_ADD_DATE, "time.add_date", 4, BIF_ENV, bi_time_add_date)                                          \
    X(TIME_DIFF, "time.diff", 2, BIF_ENV, bi_time_diff)                                                      \
    X(TIME_FORMAT, "time.format", 1, BIF_ENV, bi_time_format)                                                \
    X(UUID_RFC4122, "uuid.rfc4122", 1, BIF_NONDET, bi_uuid_rfc4122)                                          \
    X(UUID_PARSE, "uuid.parse", 1, BIF_NONE, bi_uuid_parse)                                                  \
    X(RAND_INTN, "rand.intn", 2, BIF_NONDET, bi_rand_intn)                                                   \
    X(SEMVER_IS_VALID, "semver.is_valid", 1, BIF_NONE, bi_semver_is_valid)                                   \
    X(SEMVER_COMPARE, "semver.compare", 2, BIF_NONE, bi_semver_compare)                                      \
    X(OPA_RUNTIME, "opa.runtime", 0, BIF_NONDET, bi_opa_runtime)                                             \
    X(TEST_SLEEP, "test.sleep", 1, BIF_NONDET | BIF_TEST, bi_test_sleep)

/* net.cidr_contains without its IPv4 fast path (bi_net.c): the reference
 * the stdlib test compares the fast path against. Not a table row. */
bi_status bi_net_cidr_contains_general(bi_ctx *ctx, const val *const *args, const val **out);

#endif
