/* Minimal unit-test harness: CHECK records a failure with file:line and
 * carries on; TEST_MAIN prints "N passed, N failed" (the line CI reads)
 * and exits non-zero on any failure. */
#ifndef POL_TEST_H
#define POL_TEST_H

#include <stdio.h>
#include <string.h>

typedef struct test_state {
    int passed, failed;
} test_state;

static test_state test_st;

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (cond) {                                                                                          \
            test_st.passed++;                                                                                \
        } else {                                                                                             \
            test_st.failed++;                                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                         \
        }                                                                                                    \
    } while (0)

#define CHECK_STR(got, want)                                                                                 \
    do {                                                                                                     \
        const char *got_ = (got), *want_ = (want);                                                           \
        if (got_ && want_ && strcmp(got_, want_) == 0) {                                                     \
            test_st.passed++;                                                                                \
        } else {                                                                                             \
            test_st.failed++;                                                                                \
            fprintf(stderr, "%s:%d: got  %s\n%*s want %s\n", __FILE__, __LINE__, got_ ? got_ : "(null)",     \
                    (int)strlen(__FILE__) + 8, "", want_ ? want_ : "(null)");                                \
        }                                                                                                    \
    } while (0)

#define TEST_SUMMARY()                                                                                       \
    (printf("%d passed, %d failed\n", test_st.passed, test_st.failed), test_st.failed ? 1 : 0)

#endif
