/* Builtin rows owned by the text builtins; see builtins.h for the row
 * format. Implemented in bi_strings.c (strings, units, template strings),
 * bi_format.c (sprintf, strings.render_template) and bi_regex.c (regex.*,
 * glob.*). */
#ifndef POL_STDLIB_BI_STRINGS_H
#define POL_STDLIB_BI_STRINGS_H
#define BI_LIST_STRINGS(X)                                                                                   \
    X(STR_CONCAT, "concat", 2, BIF_NONE, bi_concat)                                                          \
    X(STR_CONTAINS, "contains", 2, BIF_NONE, bi_contains)                                                    \
    X(STR_STARTSWITH, "startswith", 2, BIF_NONE, bi_startswith)                                              \
    X(STR_ENDSWITH, "endswith", 2, BIF_NONE, bi_endswith)                                                    \
    X(STR_LOWER, "lower", 1, BIF_NONE, bi_lower)                                                             \
    X(STR_UPPER, "upper", 1, BIF_NONE, bi_upper)                                                             \
    X(STR_SPLIT, "split", 2, BIF_NONE, bi_split)                                                             \
    X(STR_SPLIT_N, "strings.split_n", 3, BIF_NONE, bi_split_n)                                               \
    X(STR_REPLACE, "replace", 3, BIF_NONE, bi_replace)                                                       \
    X(STR_REPLACE_N, "strings.replace_n", 2, BIF_NONE, bi_replace_n)                                         \
    X(STR_TRIM, "trim", 2, BIF_NONE, bi_trim)                                                                \
    X(STR_TRIM_LEFT, "trim_left", 2, BIF_NONE, bi_trim_left)                                                 \
    X(STR_TRIM_RIGHT, "trim_right", 2, BIF_NONE, bi_trim_right)                                              \
    X(STR_TRIM_PREFIX, "trim_prefix", 2, BIF_NONE, bi_trim_prefix)                                           \
    X(STR_TRIM_SUFFIX, "trim_suffix", 2, BIF_NONE, bi_trim_suffix)                                           \
    X(STR_TRIM_SPACE, "trim_space", 1, BIF_NONE, bi_trim_space)                                              \
    X(STR_SUBSTRING, "substring", 3, BIF_NONE, bi_substring)                                                 \
    X(STR_INDEXOF, "indexof", 2, BIF_NONE, bi_indexof)                                                       \
    X(STR_INDEXOF_N, "indexof_n", 2, BIF_NONE, bi_indexof_n)                                                 \
    X(STR_REVERSE, "strings.reverse", 1, BIF_NONE, bi_strings_reverse)                                       \
    X(STR_COUNT, "strings.count", 2, BIF_NONE, bi_strings_count)                                             \
    X(STR_ANY_PREFIX_MATCH, "strings.any_prefix_match", 2, BIF_NONE, bi_any_prefix_match)                    \
    X(STR_ANY_SUFFIX_MATCH, "strings.any_suffix_match", 2, BIF_NONE, bi_any_suffix_match)                    \
    X(STR_TEMPLATE_STRING, "internal.template_string", 1, BIF_NONE, bi_template_string)                      \
    X(UNITS_PARSE, "units.parse", 1, BIF_NONE, bi_units_parse)                                               \
    X(UNITS_PARSE_BYTES, "units.parse_bytes", 1, BIF_NONE, bi_units_parse_bytes)                             \
    X(STR_SPRINTF, "sprintf", 2, BIF_NONE, bi_sprintf)                                                       \
    X(STR_RENDER_TEMPLATE, "strings.render_template", 2, BIF_NONE, bi_render_template)                       \
    X(REGEX_MATCH, "regex.match", 2, BIF_ENV, bi_regex_match)                                                \
    X(REGEX_RE_MATCH, "re_match", 2, BIF_ENV, bi_re_match)                                                   \
    X(REGEX_IS_VALID, "regex.is_valid", 1, BIF_NONE, bi_regex_is_valid)                                      \
    X(REGEX_REPLACE, "regex.replace", 3, BIF_ENV, bi_regex_replace)                                          \
    X(REGEX_SPLIT, "regex.split", 2, BIF_ENV, bi_regex_split)                                                \
    X(REGEX_FIND_N, "regex.find_n", 3, BIF_ENV, bi_regex_find_n)                                             \
    X(REGEX_FIND_ALL_SUBMATCH_N, "regex.find_all_string_submatch_n", 3, BIF_ENV,                             \
      bi_regex_find_all_string_submatch_n)                                                                   \
    X(REGEX_TEMPLATE_MATCH, "regex.template_match", 4, BIF_ENV, bi_regex_template_match)                     \
    X(REGEX_GLOBS_MATCH, "regex.globs_match", 2, BIF_NONE, bi_regex_globs_match)                             \
    X(GLOB_MATCH, "glob.match", 3, BIF_NONE, bi_glob_match)                                                  \
    X(GLOB_QUOTE_META, "glob.quote_meta", 1, BIF_NONE, bi_glob_quote_meta)
#endif
