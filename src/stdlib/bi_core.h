/* Builtin rows owned by bi_core.c; see builtins.h for the row format.
 *
 * Operators carry BIF_INFIX (OPA names them by their builtin name in
 * messages, e.g. "div: divide by zero"). walk is a relation: it returns an
 * array of [path, value] pairs, in OPA's pre-order, that the compiler
 * iterates over. */
#ifndef POL_STDLIB_BI_CORE_H
#define POL_STDLIB_BI_CORE_H

#define BI_LIST_CORE(X)                                                                                      \
    /* arithmetic and set operators */                                                                       \
    X(PLUS, "plus", 2, BIF_INFIX, bi_plus)                                                                   \
    X(MINUS, "minus", 2, BIF_INFIX, bi_minus)                                                                \
    X(MUL, "mul", 2, BIF_INFIX, bi_mul)                                                                      \
    X(DIV, "div", 2, BIF_INFIX, bi_div)                                                                      \
    X(REM, "rem", 2, BIF_INFIX, bi_rem)                                                                      \
    X(AND, "and", 2, BIF_INFIX, bi_and)                                                                      \
    X(OR, "or", 2, BIF_INFIX, bi_or)                                                                         \
    /* comparison */                                                                                         \
    X(EQUAL, "equal", 2, BIF_INFIX, bi_equal)                                                                \
    X(NEQ, "neq", 2, BIF_INFIX, bi_neq)                                                                      \
    X(LT, "lt", 2, BIF_INFIX, bi_lt)                                                                         \
    X(LTE, "lte", 2, BIF_INFIX, bi_lte)                                                                      \
    X(GT, "gt", 2, BIF_INFIX, bi_gt)                                                                         \
    X(GTE, "gte", 2, BIF_INFIX, bi_gte)                                                                      \
    X(MEMBER_2, "internal.member_2", 2, BIF_INFIX, bi_member_2)                                              \
    X(MEMBER_3, "internal.member_3", 3, BIF_INFIX, bi_member_3)                                              \
    /* aggregates */                                                                                         \
    X(AGG_COUNT, "count", 1, BIF_NONE, bi_count)                                                             \
    X(SUM, "sum", 1, BIF_NONE, bi_sum)                                                                       \
    X(PRODUCT, "product", 1, BIF_NONE, bi_product)                                                           \
    X(MAX, "max", 1, BIF_NONE, bi_max)                                                                       \
    X(MIN, "min", 1, BIF_NONE, bi_min)                                                                       \
    X(SORT, "sort", 1, BIF_NONE, bi_sort)                                                                    \
    /* numbers */                                                                                            \
    X(ABS, "abs", 1, BIF_NONE, bi_abs)                                                                       \
    X(ROUND, "round", 1, BIF_NONE, bi_round)                                                                 \
    X(CEIL, "ceil", 1, BIF_NONE, bi_ceil)                                                                    \
    X(FLOOR, "floor", 1, BIF_NONE, bi_floor)                                                                 \
    X(NUMBERS_RANGE, "numbers.range", 2, BIF_NONE, bi_numbers_range)                                         \
    X(NUMBERS_RANGE_STEP, "numbers.range_step", 3, BIF_NONE, bi_numbers_range_step)                          \
    X(TO_NUMBER, "to_number", 1, BIF_NONE, bi_to_number)                                                     \
    X(FORMAT_INT, "format_int", 2, BIF_NONE, bi_format_int)                                                  \
    X(BITS_AND, "bits.and", 2, BIF_NONE, bi_bits_and)                                                        \
    X(BITS_OR, "bits.or", 2, BIF_NONE, bi_bits_or)                                                           \
    X(BITS_XOR, "bits.xor", 2, BIF_NONE, bi_bits_xor)                                                        \
    X(BITS_NEGATE, "bits.negate", 1, BIF_NONE, bi_bits_negate)                                               \
    X(BITS_LSH, "bits.lsh", 2, BIF_NONE, bi_bits_lsh)                                                        \
    X(BITS_RSH, "bits.rsh", 2, BIF_NONE, bi_bits_rsh)                                                        \
    /* types */                                                                                              \
    X(IS_NUMBER, "is_number", 1, BIF_NONE, bi_is_number)                                                     \
    X(IS_STRING, "is_string", 1, BIF_NONE, bi_is_string)                                                     \
    X(IS_BOOLEAN, "is_boolean", 1, BIF_NONE, bi_is_boolean)                                                  \
    X(IS_ARRAY, "is_array", 1, BIF_NONE, bi_is_array)                                                        \
    X(IS_SET, "is_set", 1, BIF_NONE, bi_is_set)                                                              \
    X(IS_OBJECT, "is_object", 1, BIF_NONE, bi_is_object)                                                     \
    X(IS_NULL, "is_null", 1, BIF_NONE, bi_is_null)                                                           \
    X(TYPE_NAME, "type_name", 1, BIF_NONE, bi_type_name)                                                     \
    /* arrays */                                                                                             \
    X(ARRAY_CONCAT, "array.concat", 2, BIF_NONE, bi_array_concat)                                            \
    X(ARRAY_SLICE, "array.slice", 3, BIF_NONE, bi_array_slice)                                               \
    X(ARRAY_REVERSE, "array.reverse", 1, BIF_NONE, bi_array_reverse)                                         \
    X(ARRAY_FLATTEN, "array.flatten", 1, BIF_NONE, bi_array_flatten)                                         \
    /* objects and sets */                                                                                   \
    X(OBJECT_GET, "object.get", 3, BIF_NONE, bi_object_get)                                                  \
    X(OBJECT_KEYS, "object.keys", 1, BIF_NONE, bi_object_keys)                                               \
    X(OBJECT_UNION, "object.union", 2, BIF_NONE, bi_object_union)                                            \
    X(OBJECT_UNION_N, "object.union_n", 1, BIF_NONE, bi_object_union_n)                                      \
    X(OBJECT_REMOVE, "object.remove", 2, BIF_NONE, bi_object_remove)                                         \
    X(OBJECT_FILTER, "object.filter", 2, BIF_NONE, bi_object_filter)                                         \
    X(OBJECT_SUBSET, "object.subset", 2, BIF_NONE, bi_object_subset)                                         \
    X(SETS_INTERSECTION, "intersection", 1, BIF_NONE, bi_intersection)                                       \
    X(SETS_UNION, "union", 1, BIF_NONE, bi_union)                                                            \
    /* JSON documents */                                                                                     \
    X(JSON_FILTER, "json.filter", 2, BIF_NONE, bi_json_filter)                                               \
    X(JSON_REMOVE, "json.remove", 2, BIF_NONE, bi_json_remove)                                               \
    X(JSON_PATCH, "json.patch", 2, BIF_NONE, bi_json_patch)                                                  \
    /* encoding */                                                                                           \
    X(JSON_MARSHAL, "json.marshal", 1, BIF_NONE, bi_json_marshal)                                            \
    X(JSON_MARSHAL_OPTS, "json.marshal_with_options", 2, BIF_NONE, bi_json_marshal_opts)                     \
    X(JSON_UNMARSHAL, "json.unmarshal", 1, BIF_NONE, bi_json_unmarshal)                                      \
    X(JSON_IS_VALID, "json.is_valid", 1, BIF_NONE, bi_json_is_valid)                                         \
    X(YAML_MARSHAL, "yaml.marshal", 1, BIF_NONE, bi_yaml_marshal)                                            \
    X(YAML_UNMARSHAL, "yaml.unmarshal", 1, BIF_NONE, bi_yaml_unmarshal)                                      \
    X(YAML_IS_VALID, "yaml.is_valid", 1, BIF_NONE, bi_yaml_is_valid)                                         \
    X(BASE64_ENCODE, "base64.encode", 1, BIF_NONE, bi_base64_encode)                                         \
    X(BASE64_DECODE, "base64.decode", 1, BIF_NONE, bi_base64_decode)                                         \
    X(BASE64_IS_VALID, "base64.is_valid", 1, BIF_NONE, bi_base64_is_valid)                                   \
    X(BASE64URL_ENCODE, "base64url.encode", 1, BIF_NONE, bi_base64url_encode)                                \
    X(BASE64URL_ENCODE_NO_PAD, "base64url.encode_no_pad", 1, BIF_NONE, bi_base64url_encode_no_pad)           \
    X(BASE64URL_DECODE, "base64url.decode", 1, BIF_NONE, bi_base64url_decode)                                \
    X(HEX_ENCODE, "hex.encode", 1, BIF_NONE, bi_hex_encode)                                                  \
    X(HEX_DECODE, "hex.decode", 1, BIF_NONE, bi_hex_decode)                                                  \
    X(URLQUERY_ENCODE, "urlquery.encode", 1, BIF_NONE, bi_urlquery_encode)                                   \
    X(URLQUERY_DECODE, "urlquery.decode", 1, BIF_NONE, bi_urlquery_decode)                                   \
    X(URLQUERY_ENCODE_OBJECT, "urlquery.encode_object", 1, BIF_NONE, bi_urlquery_encode_object)              \
    X(URLQUERY_DECODE_OBJECT, "urlquery.decode_object", 1, BIF_NONE, bi_urlquery_decode_object)              \
    /* traversal */                                                                                          \
    X(WALK, "walk", 1, BIF_RELATION, bi_walk)                                                                \
    X(GRAPH_REACHABLE, "graph.reachable", 2, BIF_NONE, bi_graph_reachable)                                   \
    X(GRAPH_REACHABLE_PATHS, "graph.reachable_paths", 2, BIF_NONE, bi_graph_reachable_paths)

/* div, floor/ceil/round (name is "floor", "ceil" or "round") and sum
 * (of the collection coll), without their fast paths: the reference the
 * stdlib test compares the fast paths against. Not table rows. */
bi_status bi_div_general(bi_ctx *ctx, const val *const *args, const val **out);
bi_status bi_rounding_general(bi_ctx *ctx, const char *name, const val *x, const val **out);
bi_status bi_sum_general(bi_ctx *ctx, const val *coll, const val **out);

#endif
