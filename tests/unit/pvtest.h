/* Minimal test framework: tests register themselves, one runner runs them (all, one suite, or
 * one test by name). A failed CHECK reports file:line and the expression and fails the test.
 *
 *   PV_TEST(calendar, due_skips_holidays) { PV_CHECK(x == 1); PV_CHECK_EQ_INT(a, b); }
 */
#ifndef PV_TEST_H
#define PV_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*pv_test_fn)(void);
void pv_test_register(const char *suite, const char *name, pv_test_fn fn);
void pv_test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads a whole file under the source tree (path relative to PV_SOURCE_DIR); caller frees. */
char *pv_test_read_file(const char *relpath, size_t *len);

#define PV_TEST(suite, name)                                                                       \
    static void pv_test_##suite##_##name(void);                                                    \
    __attribute__((constructor)) static void pv_test_reg_##suite##_##name(void)                    \
    {                                                                                              \
        pv_test_register(#suite, #name, pv_test_##suite##_##name);                                 \
    }                                                                                              \
    static void pv_test_##suite##_##name(void)

#define PV_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            pv_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                                  \
    } while (0)

#define PV_CHECK_EQ_INT(a, b)                                                                      \
    do {                                                                                           \
        long long pv_a_ = (long long)(a), pv_b_ = (long long)(b);                                  \
        if (pv_a_ != pv_b_)                                                                        \
            pv_test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, pv_a_, pv_b_);      \
    } while (0)

#define PV_CHECK_EQ_STR(a, b)                                                                      \
    do {                                                                                           \
        const char *pv_a_ = (a), *pv_b_ = (b);                                                     \
        if (!pv_a_ || !pv_b_ || strcmp(pv_a_, pv_b_) != 0)                                         \
            pv_test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,                 \
                         pv_a_ ? pv_a_ : "(null)", pv_b_ ? pv_b_ : "(null)");                      \
    } while (0)

#endif
