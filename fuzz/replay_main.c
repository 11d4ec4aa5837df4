/* A stand-in for libFuzzer's driver: runs LLVMFuzzerTestOneInput once on
 * every file found under the paths given on the command line (files or
 * directories, walked recursively; dotfiles skipped). Linked with each fuzz
 * target so corpora and crash reproducers replay in the ordinary test run
 * with any compiler. A crash or sanitizer report fails the test; a missing
 * path fails it too, so a renamed corpus folder cannot silently replay
 * nothing. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Corpus trees are shallow; deeper means a symlink loop. */
enum { REPLAY_MAX_DEPTH = 16 };

/* One input may take at most this long (REPLAY_TIMEOUT overrides): a hang
 * reproducer then fails fast, naming its file, instead of running into the
 * whole test's timeout. Generous, for sanitizer builds. */
enum { REPLAY_DEFAULT_TIMEOUT = 30 };

/* The input being run, for the alarm handler (test driver, not library
 * code: a global is the only way to reach a signal handler). */
static const char *volatile replay_current;

static void replay_put(const char *s)
{
    ssize_t ignored = write(STDERR_FILENO, s, strlen(s));
    (void)ignored;
}

static void replay_timeout(int sig)
{
    (void)sig;
    replay_put("replay: timeout running ");
    replay_put(replay_current ? replay_current : "?");
    replay_put("\n");
    _exit(1);
}

typedef struct replay_stats {
    unsigned long files;
    unsigned timeout; /* seconds per input */
} replay_stats;

static int replay_file(const char *path, replay_stats *st)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        unsigned char *grown = realloc(buf, cap * 2);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return -1;
    }
    /* An exact-size copy lets ASan catch reads one past the input. */
    unsigned char *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    if (getenv("REPLAY_VERBOSE"))
        fprintf(stderr, "replay: %s\n", path);
    replay_current = path;
    alarm(st->timeout);
    LLVMFuzzerTestOneInput(exact, len);
    alarm(0);
    free(exact);
    st->files++;
    return 0;
}

static int replay_path(const char *path, int depth, replay_stats *st)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "replay: no such file or directory: %s\n", path);
        return -1;
    }
    if (!S_ISDIR(sb.st_mode))
        return replay_file(path, st);
    if (depth >= REPLAY_MAX_DEPTH)
        return 0;
    struct dirent **names = NULL;
    /* Sorted, so a failing run names the same input on every machine. */
    int n = scandir(path, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: cannot read directory %s\n", path);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            size_t need = strlen(path) + strlen(names[i]->d_name) + 2;
            char *child = malloc(need);
            if (child) {
                snprintf(child, need, "%s/%s", path, names[i]->d_name);
                if (replay_path(child, depth + 1, st) != 0)
                    rc = -1;
                free(child);
            } else {
                rc = -1;
            }
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    replay_stats st = {0, REPLAY_DEFAULT_TIMEOUT};
    const char *t = getenv("REPLAY_TIMEOUT");
    if (t && atoi(t) > 0)
        st.timeout = (unsigned)atoi(t);
    signal(SIGALRM, replay_timeout);
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (replay_path(argv[i], 0, &st) != 0)
            rc = 1;
    printf("%lu inputs replayed\n", st.files);
    return rc;
}
