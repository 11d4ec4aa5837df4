/* Fixture for check_no_globals.py's self-test: one mutable global of each
 * kind the check must flag (initialised → .data, zeroed → .bss, static or
 * not, thread-local) next to const tables it must accept, including a
 * pointer table that a PIC build places in .data.rel.ro. */
#include <stddef.h>

int fixture_counter = 1;
static int fixture_hidden_count;
_Thread_local int fixture_tls;
static const char *const fixture_names[] = {"a", "b", "c"};
const int fixture_table[4] = {1, 2, 3, 4};

int fixture_touch(int i);

int fixture_touch(int i)
{
    static int calls;
    calls++;
    fixture_hidden_count += i;
    fixture_tls += i;
    return fixture_counter + calls + fixture_table[i & 3] + (int)fixture_names[(size_t)i % 3][0];
}
