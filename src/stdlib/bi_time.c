/* time.* builtins on Go's time-package semantics: Go's reference-layout
 * formatting and parsing, ParseDuration, AddDate, and zones from tzdata.
 *
 * OPA's results and error texts come from Go's time package, so this file
 * reproduces it (the conformance cases check both).
 *
 * Zones: "" and "UTC" are UTC; "Local" is /etc/localtime (UTC when
 * absent); other names are TZif files under /usr/share/zoneinfo, read
 * into the evaluation arena on each call and validated before use. The
 * C library's localtime/TZ machinery is process-global state, which the
 * library does not touch. Times after a zone's last transition follow
 * the file's POSIX TZ rule, as Go does.
 */
#include "bi_net_time_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* Go's time-package quote(): bytes outside printable ASCII become \xNN. */
static void quote_go_time(sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sb_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || c < 0x20) {
            sb_puts(b, "\\x");
            sb_putc(b, hex[c >> 4]);
            sb_putc(b, hex[c & 15]);
        } else {
            if (c == '"' || c == '\\')
                sb_putc(b, '\\');
            sb_putc(b, (char)c);
        }
    }
    sb_putc(b, '"');
}

/* Fails with a message already rendered into an sbuf-backed buffer. */
static bi_status fail_msg(bi_ctx *ctx, pol_status code, const char *name, const char *msg)
{
    return bi_fail(ctx, code, "%s: %s", name, msg);
}

/* ======================================================================
 * Time: Go's calendar, zone files, layouts and durations
 * ====================================================================== */

#define NS_PER_SEC NT_NS_PER_SEC
#define SEC_PER_DAY 86400
#define TIME_ALPHA INT64_MIN /* Go's "beginning of time" for zone periods */
#define TIME_OMEGA INT64_MAX
/* TZif files in tzdata are a few KiB; anything larger is not a zone file. */
#define TZ_FILE_MAX (1u << 20)

static const char month_names[12][10] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
static const char day_names[7][10] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                      "Thursday", "Friday", "Saturday"};
/* Days in a non-leap year before month m+1 begins; [12] is the year. */
static const int days_before_month[13] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

static bool is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int m, int64_t y)
{
    if (m == 2 && is_leap(y))
        return 29;
    return days_before_month[m] - days_before_month[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (eras of 400 years = 146097 days, years counted from March). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = nt_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = nt_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* A wall-clock reading. yday is 1-based, wday 0 = Sunday. */
typedef struct civil {
    int64_t year;
    int month, day, yday, wday, hour, min, sec;
    int32_t nsec;
} civil;

static void civil_from_local(int64_t local_sec, int32_t nsec, civil *c)
{
    int64_t days = nt_floor_div(local_sec, SEC_PER_DAY), rem = local_sec - days * SEC_PER_DAY;
    civil_from_days(days, &c->year, &c->month, &c->day);
    c->yday = days_before_month[c->month - 1] + c->day + (c->month > 2 && is_leap(c->year));
    c->wday = (int)nt_floor_mod(days + 4, 7); /* 1970-01-01 was a Thursday */
    c->hour = (int)(rem / 3600);
    c->min = (int)(rem / 60 % 60);
    c->sec = (int)(rem % 60);
    c->nsec = nsec;
}

/* An instant: Unix seconds plus nanoseconds in [0, 1e9). Covers every
 * int64 nanosecond count and the dates Go can compute around them. */
typedef struct gotime {
    int64_t sec;
    int32_t nsec;
} gotime;

/* The seconds of the first and last instants int64 nanoseconds hold
 * (INT64_MIN and INT64_MAX ns): gotime_to_ns's bounds. */
#define GOTIME_NS_MIN_SEC INT64_C(-9223372037)
#define GOTIME_NS_MAX_SEC INT64_C(9223372036)

/* OPA's toSafeUnixNano: the instant as int64 nanoseconds, or false when
 * it lies outside 1677-09-21T00:12:43.145224192Z .. 2262-04-11T23:47:16.854775807Z. */
static bool gotime_to_ns(gotime t, int64_t *ns)
{
    if (t.sec < GOTIME_NS_MIN_SEC || (t.sec == GOTIME_NS_MIN_SEC && t.nsec < 145224192))
        return false;
    if (t.sec > GOTIME_NS_MAX_SEC || (t.sec == GOTIME_NS_MAX_SEC && t.nsec > 854775807))
        return false;
    if (t.sec < 0 && t.nsec > 0)
        *ns = (t.sec + 1) * NS_PER_SEC - (NS_PER_SEC - t.nsec);
    else
        *ns = t.sec * NS_PER_SEC + t.nsec;
    return true;
}

static bi_status out_ns(bi_ctx *ctx, const char *name, gotime t, const val **out)
{
    int64_t ns;
    if (!gotime_to_ns(t, &ns))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: time outside of valid range", name);
    return nt_out_int(ctx, ns, out);
}

/* ---- zones: TZif files and POSIX TZ rules ------------------------------- */

/* A parsed zone file, pointing into the file bytes held in the arena.
 * Validated on load: every transition's type index < typecnt and every
 * type's abbreviation index < charcnt. */
typedef struct tzloc {
    bool utc;
    uint8_t tsize; /* bytes per transition time: 4 (v1) or 8 */
    uint32_t timecnt, typecnt, charcnt;
    const unsigned char *tx, *idx, *types; /* times, type indexes, 6-byte type records */
    const char *chars;                     /* abbreviations, NUL-separated */
    const char *extend;                    /* POSIX TZ rule for times after the last transition */
    size_t extend_len;
} tzloc;

/* The zone in effect at an instant and the interval [start, end) over
 * which that holds (Go uses the interval to resolve wall clocks). */
typedef struct tzperiod {
    const char *abbr;
    size_t abbr_len;
    int32_t offset; /* seconds east of UTC */
    bool isdst;
    int64_t start, end;
} tzperiod;

static int64_t tz_when(const tzloc *z, uint32_t i)
{
    if (z->timecnt == 0)
        return TIME_ALPHA; /* Go's implicit single transition */
    const unsigned char *p = z->tx + (size_t)i * z->tsize;
    if (z->tsize == 4)
        return (int32_t)nt_be32(p);
    return (int64_t)((uint64_t)nt_be32(p) << 32 | nt_be32(p + 4));
}

static uint32_t tz_index(const tzloc *z, uint32_t i)
{
    return z->timecnt ? z->idx[i] : 0;
}

static bool tz_isdst(const tzloc *z, uint32_t type)
{
    return z->types[type * 6 + 4] != 0;
}

static void tz_zone(const tzloc *z, uint32_t type, tzperiod *p)
{
    const unsigned char *t = z->types + (size_t)type * 6;
    p->offset = (int32_t)nt_be32(t);
    p->isdst = t[4] != 0;
    uint32_t ai = t[5];
    const char *a = z->chars + ai;
    const char *nul = memchr(a, 0, z->charcnt - ai);
    p->abbr = a;
    p->abbr_len = nul ? (size_t)(nul - a) : z->charcnt - ai;
}

static bool tz_parse(const unsigned char *p, size_t n, tzloc *z)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return false;
    unsigned char ver = p[4];
    if (ver != 0 && ver != '2' && ver != '3' && ver != '4')
        return false;
    size_t off = 0, tsize = 4;
    uint32_t c[6]; /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
    for (int pass = 0;; pass++) {
        if (off + 44 > n || memcmp(p + off, "TZif", 4) != 0)
            return false;
        for (int i = 0; i < 6; i++)
            c[i] = nt_be32(p + off + 20 + 4 * i);
        off += 44;
        /* Counts are 32-bit, so these products cannot overflow size_t. */
        size_t body =
            (size_t)c[3] * tsize + c[3] + (size_t)c[4] * 6 + c[5] + (size_t)c[2] * (tsize + 4) + c[1] + c[0];
        if (body > n - off)
            return false;
        if (ver == 0 || pass == 1) {
            z->tsize = (uint8_t)tsize;
            z->timecnt = c[3];
            z->typecnt = c[4];
            z->charcnt = c[5];
            z->tx = p + off;
            z->idx = z->tx + (size_t)c[3] * tsize;
            z->types = z->idx + c[3];
            z->chars = (const char *)(z->types + (size_t)c[4] * 6);
            off += body;
            break;
        }
        off += body; /* skip the 32-bit copy; the 64-bit one follows */
        tsize = 8;
    }
    if (z->typecnt == 0 || z->typecnt > 256)
        return false;
    for (uint32_t i = 0; i < z->timecnt; i++)
        if (z->idx[i] >= z->typecnt)
            return false;
    for (uint32_t i = 0; i < z->typecnt; i++)
        if (z->types[i * 6 + 5] >= z->charcnt)
            return false;
    size_t rest = n - off;
    if (ver != 0 && rest > 2 && p[off] == '\n' && p[n - 1] == '\n') {
        z->extend = (const char *)p + off + 1;
        z->extend_len = rest - 2;
    }
    return true;
}

/* Go's lookupFirstZone: the zone for instants before the first transition. */
static uint32_t tz_first_zone(const tzloc *z)
{
    bool first_used = false;
    for (uint32_t i = 0; i < z->timecnt && !first_used; i++)
        first_used = z->idx[i] == 0;
    if (!first_used)
        return 0;
    if (z->timecnt > 0 && tz_isdst(z, z->idx[0])) {
        for (int zi = (int)z->idx[0] - 1; zi >= 0; zi--)
            if (!tz_isdst(z, (uint32_t)zi))
                return (uint32_t)zi;
    }
    for (uint32_t zi = 0; zi < z->typecnt; zi++)
        if (!tz_isdst(z, zi))
            return zi;
    return 0;
}

/* POSIX TZ strings ("EST5EDT,M3.2.0,M11.1.0"), parsed as Go's tzset does. */
typedef struct tzrule {
    enum { RULE_JULIAN, RULE_DOY, RULE_MWD } kind;
    int day, week, mon, time;
} tzrule;

static bool tzs_name(const char **ps, const char *e, const char **name, size_t *len)
{
    const char *s = *ps;
    if (s == e)
        return false;
    if (*s == '<') {
        for (const char *q = s; q < e; q++)
            if (*q == '>') {
                *name = s + 1;
                *len = (size_t)(q - s - 1);
                *ps = q + 1;
                return true;
            }
        return false;
    }
    const char *q = s;
    while (q < e && !((*q >= '0' && *q <= '9') || *q == ',' || *q == '-' || *q == '+'))
        q++;
    if (q - s < 3)
        return false;
    *name = s;
    *len = (size_t)(q - s);
    *ps = q;
    return true;
}

static bool tzs_num(const char **ps, const char *e, int min, int max, int *out)
{
    const char *s = *ps, *q = s;
    int num = 0;
    if (s == e)
        return false;
    for (; q < e && *q >= '0' && *q <= '9'; q++) {
        num = num * 10 + (*q - '0');
        if (num > max)
            return false;
    }
    if (q == s || num < min)
        return false;
    *out = num;
    *ps = q;
    return true;
}

static bool tzs_offset(const char **ps, const char *e, int *out)
{
    const char *s = *ps;
    bool neg = false;
    int h, m, sec, off;
    if (s == e)
        return false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!tzs_num(&s, e, 0, 24 * 7, &h))
        return false;
    off = h * 3600;
    if (s < e && *s == ':') {
        s++;
        if (!tzs_num(&s, e, 0, 59, &m))
            return false;
        off += m * 60;
        if (s < e && *s == ':') {
            s++;
            if (!tzs_num(&s, e, 0, 59, &sec))
                return false;
            off += sec;
        }
    }
    *out = neg ? -off : off;
    *ps = s;
    return true;
}

static bool tzs_rule(const char **ps, const char *e, tzrule *r)
{
    const char *s = *ps;
    if (s == e)
        return false;
    if (*s == 'J') {
        s++;
        r->kind = RULE_JULIAN;
        if (!tzs_num(&s, e, 1, 365, &r->day))
            return false;
    } else if (*s == 'M') {
        s++;
        r->kind = RULE_MWD;
        if (!tzs_num(&s, e, 1, 12, &r->mon) || s == e || *s++ != '.')
            return false;
        if (!tzs_num(&s, e, 1, 5, &r->week) || s == e || *s++ != '.')
            return false;
        if (!tzs_num(&s, e, 0, 6, &r->day))
            return false;
    } else {
        r->kind = RULE_DOY;
        if (!tzs_num(&s, e, 0, 365, &r->day))
            return false;
    }
    r->time = 2 * 3600; /* 02:00 local unless given */
    if (s < e && *s == '/') {
        s++;
        if (!tzs_offset(&s, e, &r->time))
            return false;
    }
    *ps = s;
    return true;
}

/* Seconds from the start of `year` (UTC) to the rule's transition. */
static int64_t tz_rule_time(int64_t year, const tzrule *r, int off)
{
    int64_t s = 0;
    switch (r->kind) {
    case RULE_JULIAN:
        s = (int64_t)(r->day - 1) * SEC_PER_DAY;
        if (is_leap(year) && r->day >= 60)
            s += SEC_PER_DAY;
        break;
    case RULE_DOY: s = (int64_t)r->day * SEC_PER_DAY; break;
    case RULE_MWD: {
        /* Weekday of the first of the month, then the week-th such day. */
        int64_t first = days_from_civil(year, r->mon, 1);
        int dow = (int)nt_floor_mod(first + 4, 7);
        int d = r->day - dow;
        if (d < 0)
            d += 7;
        for (int i = 1; i < r->week; i++) {
            if (d + 7 >= days_in_month(r->mon, year))
                break;
            d += 7;
        }
        d += days_before_month[r->mon - 1];
        if (is_leap(year) && r->mon > 2)
            d++;
        s = (int64_t)d * SEC_PER_DAY;
        break;
    }
    }
    return s + r->time - off;
}

static bool tz_extend_lookup(const char *str, size_t n, int64_t last_tx, int64_t sec, tzperiod *p)
{
    const char *s = str, *e = str + n, *std_name, *dst_name;
    size_t std_len, dst_len;
    int std_off, dst_off;
    tzrule start_rule, end_rule;
    if (!tzs_name(&s, e, &std_name, &std_len) || !tzs_offset(&s, e, &std_off))
        return false;
    std_off = -std_off; /* POSIX offsets are west of UTC */
    if (s == e || *s == ',') {
        *p = (tzperiod){std_name, std_len, std_off, false, last_tx, TIME_OMEGA};
        return true;
    }
    if (!tzs_name(&s, e, &dst_name, &dst_len))
        return false;
    if (s == e || *s == ',') {
        dst_off = std_off + 3600;
    } else {
        if (!tzs_offset(&s, e, &dst_off))
            return false;
        dst_off = -dst_off;
    }
    if (s == e) {
        static const char dflt[] = ",M3.2.0,M11.1.0"; /* tzcode's default rule */
        s = dflt;
        e = dflt + sizeof dflt - 1;
    }
    if (*s != ',' && *s != ';')
        return false;
    s++;
    if (!tzs_rule(&s, e, &start_rule) || s == e || *s != ',')
        return false;
    s++;
    if (!tzs_rule(&s, e, &end_rule) || s != e)
        return false;

    int64_t year;
    int m, d;
    civil_from_days(nt_floor_div(sec, SEC_PER_DAY), &year, &m, &d);
    int64_t year_start = days_from_civil(year, 1, 1) * SEC_PER_DAY, ysec = sec - year_start;
    int64_t start = tz_rule_time(year, &start_rule, std_off), end = tz_rule_time(year, &end_rule, dst_off);
    bool std_dst = false, dst_dst = true;
    if (end < start) { /* southern hemisphere: the "DST" rule ends the year */
        int64_t t = start;
        start = end;
        end = t;
        const char *tn = std_name;
        std_name = dst_name;
        dst_name = tn;
        size_t tl = std_len;
        std_len = dst_len;
        dst_len = tl;
        int to = std_off;
        std_off = dst_off;
        dst_off = to;
        std_dst = true;
        dst_dst = false;
    }
    if (ysec < start)
        *p = (tzperiod){std_name, std_len, std_off, std_dst, year_start, start + year_start};
    else if (ysec >= end)
        *p =
            (tzperiod){std_name, std_len, std_off, std_dst, end + year_start, year_start + 365 * SEC_PER_DAY};
    else
        *p = (tzperiod){dst_name, dst_len, dst_off, dst_dst, start + year_start, end + year_start};
    return true;
}

/* Go's Location.lookup: the zone in effect at Unix time sec. */
static void tz_lookup(const tzloc *z, int64_t sec, tzperiod *p)
{
    if (z->utc) {
        *p = (tzperiod){"UTC", 3, 0, false, TIME_ALPHA, TIME_OMEGA};
        return;
    }
    uint32_t ntx = z->timecnt ? z->timecnt : 1;
    if (z->timecnt && sec < tz_when(z, 0)) {
        tz_zone(z, tz_first_zone(z), p);
        p->start = TIME_ALPHA;
        p->end = tz_when(z, 0);
        return;
    }
    uint32_t lo = 0, hi = ntx;
    int64_t end = TIME_OMEGA;
    while (hi - lo > 1) {
        uint32_t m = lo + (hi - lo) / 2;
        int64_t lim = tz_when(z, m);
        if (sec < lim) {
            end = lim;
            hi = m;
        } else {
            lo = m;
        }
    }
    tz_zone(z, tz_index(z, lo), p);
    p->start = tz_when(z, lo);
    p->end = end;
    tzperiod q;
    if (lo == ntx - 1 && z->extend_len && tz_extend_lookup(z->extend, z->extend_len, p->start, sec, &q))
        *p = q;
}

/* Reads a whole regular file into the arena: 0 ok, 1 unreadable, 2 arena full. */
static int read_file_to_arena(arena *a, const char *path, const unsigned char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    struct stat st;
    int rc = 1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t)st.st_size <= TZ_FILE_MAX) {
        size_t size = (size_t)st.st_size, got = 0;
        unsigned char *buf = arena_alloc(a, size);
        rc = buf ? 0 : 2;
        while (rc == 0 && got < size) {
            ssize_t r = read(fd, buf + got, size - got);
            if (r > 0)
                got += (size_t)r;
            else if (r == 0 || errno != EINTR)
                rc = 1;
        }
        *data = buf;
        *len = got;
    }
    close(fd);
    return rc;
}

/* Go's LoadLocation as OPA uses it: "" and "UTC" are UTC, "Local" is the
 * machine zone (/etc/localtime, UTC when absent), anything else an IANA
 * name under /usr/share/zoneinfo. */
static bi_status tz_load(bi_ctx *ctx, const char *bname, const val *tzv, tzloc *z)
{
    const char *name = tzv->u.s;
    size_t n = tzv->len;
    memset(z, 0, sizeof *z);
    if (n == 0 || (n == 3 && memcmp(name, "UTC", 3) == 0)) {
        z->utc = true;
        return BI_OK;
    }
    bool local = n == 5 && memcmp(name, "Local", 5) == 0;
    char path[300];
    if (local) {
        snprintf(path, sizeof path, "/etc/localtime");
    } else {
        bool dotdot = false;
        for (size_t i = 0; i + 1 < n && !dotdot; i++)
            dotdot = name[i] == '.' && name[i + 1] == '.';
        if (dotdot || name[0] == '/' || name[0] == '\\')
            return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: time: invalid location name", bname);
        if (n > 255 || memchr(name, 0, n))
            return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: unknown time zone %.*s", bname, (int)n, name);
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%.*s", (int)n, name);
    }
    const unsigned char *data = NULL;
    size_t len = 0;
    int rc = read_file_to_arena(ctx->arena, path, &data, &len);
    if (rc == 2)
        return bi_oom(ctx);
    if (rc == 0 && tz_parse(data, len, z))
        return BI_OK;
    if (local) {
        memset(z, 0, sizeof *z);
        z->utc = true;
        return BI_OK;
    }
    if (rc == 0)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: malformed time zone information", bname);
    return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: unknown time zone %.*s", bname, (int)n, name);
}

/* An instant in a zone, as OPA's tzTime reads it from ns, [ns, tz] or
 * [ns, tz, layout]. */
typedef struct zoned_time {
    gotime t;
    tzloc loc;
    const char *layout; /* NULL: none given */
    size_t layout_len;
} zoned_time;

static bi_status time_operand(bi_ctx *ctx, const char *bname, const val *a, zoned_time *out)
{
    static const char expected[] = "either number (ns) or [number (ns), string (tz)]";
    const val *nv;
    bi_status st;
    memset(out, 0, sizeof *out);
    out->loc.utc = true;
    if (a && a->type == V_ARR) {
        if (a->len == 0)
            return bi_type_fail(ctx, bname, 1, expected, a);
        nv = a->u.a[0];
        if (!nt_is_num(nv))
            return bi_type_fail(ctx, bname, 1, "number", nv);
        if (a->len > 1) {
            if (!nt_is_str(a->u.a[1]))
                return bi_type_fail(ctx, bname, 1, "string", a->u.a[1]);
            if ((st = tz_load(ctx, bname, a->u.a[1], &out->loc)) != BI_OK)
                return st;
        }
        if (a->len > 2) {
            if (!nt_is_str(a->u.a[2]))
                return bi_type_fail(ctx, bname, 1, "string", a->u.a[2]);
            out->layout = a->u.a[2]->u.s;
            out->layout_len = a->u.a[2]->len;
        }
    } else if (nt_is_num(a)) {
        nv = a;
    } else {
        return bi_type_fail(ctx, bname, 1, expected, a);
    }
    int64_t ns;
    if (!val_is_int(nv, &ns))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: timestamp too big", bname);
    out->t.sec = nt_floor_div(ns, NS_PER_SEC);
    out->t.nsec = (int32_t)nt_floor_mod(ns, NS_PER_SEC);
    return BI_OK;
}

static void zoned_civil(const zoned_time *zt, civil *c, tzperiod *p)
{
    tz_lookup(&zt->loc, zt->t.sec, p);
    civil_from_local(zt->t.sec + p->offset, zt->t.nsec, c);
}

/* Go's time.Date for a wall clock in zone z; month and day may be out of
 * range and normalise into the year/month. False when the date is so far
 * out that no int64-nanosecond instant could be near it. */
static bool wall_to_instant(int64_t year, int64_t month, int64_t day, const civil *clock, const tzloc *z,
                            gotime *out)
{
    int64_t m0 = month - 1;
    year += nt_floor_div(m0, 12);
    m0 = nt_floor_mod(m0, 12);
    if (year < -1000000000LL || year > 1000000000LL || day < -(1LL << 40) || day > (1LL << 40))
        return false;
    int64_t unix = (days_from_civil(year, (int)m0 + 1, 1) + day - 1) * SEC_PER_DAY + clock->hour * 3600 +
                   clock->min * 60 + clock->sec;
    tzperiod p;
    tz_lookup(z, unix, &p);
    if (p.offset != 0) {
        /* Guess with the offset in effect at the wall reading taken as
         * UTC; look again when the corrected instant leaves that period. */
        int64_t utc = unix - p.offset;
        if (utc < p.start || utc >= p.end)
            tz_lookup(z, utc, &p);
        unix -= p.offset;
    }
    out->sec = unix;
    out->nsec = clock->nsec;
    return true;
}

/* ---- Go reference layouts ("Mon Jan 2 15:04:05 MST 2006") ---------------- */

enum std_token {
    STD_NONE,
    STD_LONG_MONTH,
    STD_MONTH,
    STD_NUM_MONTH,
    STD_ZERO_MONTH,
    STD_LONG_WEEKDAY,
    STD_WEEKDAY,
    STD_DAY,
    STD_UNDER_DAY,
    STD_ZERO_DAY,
    STD_UNDER_YEARDAY,
    STD_ZERO_YEARDAY,
    STD_HOUR,
    STD_HOUR12,
    STD_ZERO_HOUR12,
    STD_MINUTE,
    STD_ZERO_MINUTE,
    STD_SECOND,
    STD_ZERO_SECOND,
    STD_LONG_YEAR,
    STD_YEAR,
    STD_PM_UPPER,
    STD_PM_LOWER,
    STD_TZ,
    STD_ISO_TZ,
    STD_ISO_SECONDS_TZ,
    STD_ISO_SHORT_TZ,
    STD_ISO_COLON_TZ,
    STD_ISO_COLON_SECONDS_TZ,
    STD_NUM_TZ,
    STD_NUM_SECONDS_TZ,
    STD_NUM_SHORT_TZ,
    STD_NUM_COLON_TZ,
    STD_NUM_COLON_SECONDS_TZ,
    STD_FRAC0,
    STD_FRAC9, /* ".000" exact digits; ".999" trailing zeros dropped */
};

/* The first token of a layout: literal text [0, prefix), then the token
 * [prefix, prefix+len). std == STD_NONE when the rest is all literal. */
typedef struct std_chunk {
    size_t prefix, len;
    int std;
    int digits; /* fractional-second digits */
} std_chunk;

static bool layout_has(const char *l, size_t n, size_t i, const char *lit)
{
    size_t k = strlen(lit);
    return i <= n && n - i >= k && memcmp(l + i, lit, k) == 0;
}

static std_chunk chunk(size_t prefix, int std, size_t len)
{
    return (std_chunk){prefix, len, std, 0};
}

/* Go's nextStdChunk, token for token. */
static std_chunk next_std(const char *l, size_t n)
{
    static const int std0x[6] = {STD_ZERO_MONTH,  STD_ZERO_DAY,    STD_ZERO_HOUR12,
                                 STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR};
    static const struct {
        char lit[10];
        int std;
    } zones[] = {
        {"-070000", STD_NUM_SECONDS_TZ},
        {"-07:00:00", STD_NUM_COLON_SECONDS_TZ},
        {"-0700", STD_NUM_TZ},
        {"-07:00", STD_NUM_COLON_TZ},
        {"-07", STD_NUM_SHORT_TZ},
        {"Z070000", STD_ISO_SECONDS_TZ},
        {"Z07:00:00", STD_ISO_COLON_SECONDS_TZ},
        {"Z0700", STD_ISO_TZ},
        {"Z07:00", STD_ISO_COLON_TZ},
        {"Z07", STD_ISO_SHORT_TZ},
    };
    for (size_t i = 0; i < n; i++) {
        char c = l[i];
        switch (c) {
        case 'J':
            if (layout_has(l, n, i, "Jan")) {
                if (layout_has(l, n, i, "January"))
                    return chunk(i, STD_LONG_MONTH, 7);
                if (!(i + 3 < n && l[i + 3] >= 'a' && l[i + 3] <= 'z'))
                    return chunk(i, STD_MONTH, 3);
            }
            break;
        case 'M':
            if (layout_has(l, n, i, "Mon")) {
                if (layout_has(l, n, i, "Monday"))
                    return chunk(i, STD_LONG_WEEKDAY, 6);
                if (!(i + 3 < n && l[i + 3] >= 'a' && l[i + 3] <= 'z'))
                    return chunk(i, STD_WEEKDAY, 3);
            }
            if (layout_has(l, n, i, "MST"))
                return chunk(i, STD_TZ, 3);
            break;
        case '0':
            if (i + 1 < n && l[i + 1] >= '1' && l[i + 1] <= '6')
                return chunk(i, std0x[l[i + 1] - '1'], 2);
            if (i + 2 < n && l[i + 1] == '0' && l[i + 2] == '2')
                return chunk(i, STD_ZERO_YEARDAY, 3);
            break;
        case '1':
            if (i + 1 < n && l[i + 1] == '5')
                return chunk(i, STD_HOUR, 2);
            return chunk(i, STD_NUM_MONTH, 1);
        case '2':
            if (layout_has(l, n, i, "2006"))
                return chunk(i, STD_LONG_YEAR, 4);
            return chunk(i, STD_DAY, 1);
        case '_':
            if (i + 1 < n && l[i + 1] == '2') {
                if (layout_has(l, n, i + 1, "2006")) /* "_2006" is '_' then the year */
                    return chunk(i + 1, STD_LONG_YEAR, 4);
                return chunk(i, STD_UNDER_DAY, 2);
            }
            if (i + 2 < n && l[i + 1] == '_' && l[i + 2] == '2')
                return chunk(i, STD_UNDER_YEARDAY, 3);
            break;
        case '3': return chunk(i, STD_HOUR12, 1);
        case '4': return chunk(i, STD_MINUTE, 1);
        case '5': return chunk(i, STD_SECOND, 1);
        case 'P':
            if (i + 1 < n && l[i + 1] == 'M')
                return chunk(i, STD_PM_UPPER, 2);
            break;
        case 'p':
            if (i + 1 < n && l[i + 1] == 'm')
                return chunk(i, STD_PM_LOWER, 2);
            break;
        case '-':
        case 'Z':
            for (size_t k = 0; k < sizeof zones / sizeof zones[0]; k++)
                if (zones[k].lit[0] == c && layout_has(l, n, i, zones[k].lit))
                    return chunk(i, zones[k].std, strlen(zones[k].lit));
            break;
        case '.':
        case ',':
            if (i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
                char ch = l[i + 1];
                size_t j = i + 1;
                while (j < n && l[j] == ch)
                    j++;
                if (!nt_is_digit_at(l, n, j)) { /* only a run of one repeated digit */
                    std_chunk r = chunk(i, ch == '0' ? STD_FRAC0 : STD_FRAC9, j - i);
                    r.digits = (int)(j - i - 1);
                    return r;
                }
            }
            break;
        default: break;
        }
    }
    return chunk(n, STD_NONE, 0);
}

/* OPA accepts these Go constant names in place of a layout. */
static void resolve_layout_name(const char **l, size_t *n)
{
    static const char names[][2][40] = {
        {"ANSIC", "Mon Jan _2 15:04:05 2006"},
        {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
        {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
        {"RFC822", "02 Jan 06 15:04 MST"},
        {"RFC822Z", "02 Jan 06 15:04 -0700"},
        {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
        {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
        {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
        {"RFC3339", "2006-01-02T15:04:05Z07:00"},
        {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i][0]) == *n && memcmp(names[i][0], *l, *n) == 0) {
            *l = names[i][1];
            *n = strlen(names[i][1]);
            return;
        }
    }
}

/* Go's appendInt: optional '-', then at least `width` digits. */
static void append_int(sbuf *b, int64_t x, int width)
{
    char tmp[24];
    int k = 0;
    uint64_t u = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
    if (x < 0)
        sb_putc(b, '-');
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    for (int w = k; w < width; w++)
        sb_putc(b, '0');
    while (k)
        sb_putc(b, tmp[--k]);
}

static void append_nano(sbuf *b, int32_t ns, bool trim, int digits, char sep)
{
    char tmp[10];
    if (trim && (digits == 0 || ns == 0))
        return;
    tmp[0] = sep;
    for (int i = 9; i >= 1; i--, ns /= 10)
        tmp[i] = (char)('0' + ns % 10);
    int len = 1 + (digits < 9 ? digits : 9);
    if (trim) {
        while (len > 0 && tmp[len - 1] == '0')
            len--;
        if (len > 0 && tmp[len - 1] == sep)
            len--;
    }
    sb_put(b, tmp, (size_t)len);
}

static void append_zone(sbuf *b, int std, int32_t offset)
{
    bool iso = std == STD_ISO_TZ || std == STD_ISO_COLON_TZ || std == STD_ISO_SECONDS_TZ ||
               std == STD_ISO_SHORT_TZ || std == STD_ISO_COLON_SECONDS_TZ;
    if (iso && offset == 0) {
        sb_putc(b, 'Z');
        return;
    }
    int zone = offset / 60, abs_off = offset;
    if (zone < 0) {
        sb_putc(b, '-');
        zone = -zone;
        abs_off = -abs_off;
    } else {
        sb_putc(b, '+');
    }
    append_int(b, zone / 60, 2);
    bool colon = std == STD_ISO_COLON_TZ || std == STD_NUM_COLON_TZ || std == STD_ISO_COLON_SECONDS_TZ ||
                 std == STD_NUM_COLON_SECONDS_TZ;
    if (colon)
        sb_putc(b, ':');
    if (std != STD_NUM_SHORT_TZ && std != STD_ISO_SHORT_TZ)
        append_int(b, zone % 60, 2);
    if (std == STD_ISO_SECONDS_TZ || std == STD_NUM_SECONDS_TZ || std == STD_NUM_COLON_SECONDS_TZ ||
        std == STD_ISO_COLON_SECONDS_TZ) {
        if (colon)
            sb_putc(b, ':');
        append_int(b, abs_off % 60, 2);
    }
}

/* Go's Time.Format. */
static void format_time(sbuf *b, const char *l, size_t n, const civil *c, const tzperiod *p)
{
    while (n > 0) {
        std_chunk ch = next_std(l, n);
        sb_put(b, l, ch.prefix);
        if (ch.std == STD_NONE)
            break;
        char sep = l[ch.prefix];
        l += ch.prefix + ch.len;
        n -= ch.prefix + ch.len;
        int hr12 = c->hour % 12 ? c->hour % 12 : 12;
        switch (ch.std) {
        case STD_YEAR: append_int(b, (c->year < 0 ? -c->year : c->year) % 100, 2); break;
        case STD_LONG_YEAR: append_int(b, c->year, 4); break;
        case STD_MONTH: sb_put(b, month_names[c->month - 1], 3); break;
        case STD_LONG_MONTH: sb_puts(b, month_names[c->month - 1]); break;
        case STD_NUM_MONTH: append_int(b, c->month, 0); break;
        case STD_ZERO_MONTH: append_int(b, c->month, 2); break;
        case STD_WEEKDAY: sb_put(b, day_names[c->wday], 3); break;
        case STD_LONG_WEEKDAY: sb_puts(b, day_names[c->wday]); break;
        case STD_DAY: append_int(b, c->day, 0); break;
        case STD_UNDER_DAY:
            if (c->day < 10)
                sb_putc(b, ' ');
            append_int(b, c->day, 0);
            break;
        case STD_ZERO_DAY: append_int(b, c->day, 2); break;
        case STD_UNDER_YEARDAY:
            if (c->yday < 100)
                sb_puts(b, c->yday < 10 ? "  " : " ");
            append_int(b, c->yday, 0);
            break;
        case STD_ZERO_YEARDAY: append_int(b, c->yday, 3); break;
        case STD_HOUR: append_int(b, c->hour, 2); break;
        case STD_HOUR12: append_int(b, hr12, 0); break;
        case STD_ZERO_HOUR12: append_int(b, hr12, 2); break;
        case STD_MINUTE: append_int(b, c->min, 0); break;
        case STD_ZERO_MINUTE: append_int(b, c->min, 2); break;
        case STD_SECOND: append_int(b, c->sec, 0); break;
        case STD_ZERO_SECOND: append_int(b, c->sec, 2); break;
        case STD_PM_UPPER: sb_puts(b, c->hour >= 12 ? "PM" : "AM"); break;
        case STD_PM_LOWER: sb_puts(b, c->hour >= 12 ? "pm" : "am"); break;
        case STD_TZ:
            if (p->abbr_len) {
                sb_put(b, p->abbr, p->abbr_len);
            } else { /* no abbreviation known: Go writes -0700 */
                int zone = p->offset / 60;
                sb_putc(b, zone < 0 ? '-' : '+');
                zone = zone < 0 ? -zone : zone;
                append_int(b, zone / 60, 2);
                append_int(b, zone % 60, 2);
            }
            break;
        case STD_FRAC0:
        case STD_FRAC9: append_nano(b, c->nsec, ch.std == STD_FRAC9, ch.digits, sep); break;
        default: append_zone(b, ch.std, p->offset); break;
        }
    }
}

/* ---- Go's time.Parse ----------------------------------------------------- */

/* A read position in the value being parsed. */
typedef struct cursor {
    const char *s;
    size_t n;
} cursor;

static void cur_skip(cursor *c, size_t k)
{
    c->s += k;
    c->n -= k;
}

/* Go's leadingInt: decimal digits, failing beyond 2^63. */
static bool leading_int(const char *s, size_t n, uint64_t *x, size_t *used)
{
    size_t i = 0;
    uint64_t v = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > ((uint64_t)1 << 63) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > (uint64_t)1 << 63)
            return false;
    }
    *x = v;
    *used = i;
    return true;
}

/* Go's time-package atoi: optional sign, then all digits (none is 0). */
static bool go_atoi(const char *s, size_t n, int64_t *out)
{
    bool neg = false;
    uint64_t v;
    size_t used;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (!leading_int(s, n, &v, &used) || used != n)
        return false;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

static bool get_num(cursor *c, bool fixed, int *out)
{
    if (!nt_is_digit_at(c->s, c->n, 0))
        return false;
    if (!nt_is_digit_at(c->s, c->n, 1)) {
        if (fixed)
            return false;
        *out = c->s[0] - '0';
        cur_skip(c, 1);
        return true;
    }
    *out = (c->s[0] - '0') * 10 + (c->s[1] - '0');
    cur_skip(c, 2);
    return true;
}

static bool get_num3(cursor *c, bool fixed, int *out)
{
    int v = 0;
    size_t i = 0;
    for (; i < 3 && nt_is_digit_at(c->s, c->n, i); i++)
        v = v * 10 + (c->s[i] - '0');
    if (i == 0 || (fixed && i != 3))
        return false;
    *out = v;
    cur_skip(c, i);
    return true;
}

/* Index of the first table name (or its first `len` bytes) the value
 * starts with, consuming it; -1 when none. */
static int lookup_name(const char tab[][10], int count, size_t len, cursor *c)
{
    for (int i = 0; i < count; i++) {
        size_t k = len ? len : strlen(tab[i]);
        if (c->n >= k && nt_ascii_fold_eq(c->s, tab[i], k)) {
            cur_skip(c, k);
            return i;
        }
    }
    return -1;
}

/* Go's parseNanoseconds: value starts with the separator; nbytes counts it. */
static bool parse_nanos(const char *s, size_t nbytes, int32_t *ns, const char **range_err)
{
    int64_t x;
    if (s[0] != '.' && s[0] != ',')
        return false;
    if (nbytes > 10)
        nbytes = 10;
    if (!go_atoi(s + 1, nbytes - 1, &x))
        return false;
    if (x < 0) {
        *range_err = "fractional second";
        return true;
    }
    for (size_t i = nbytes; i < 10; i++)
        x *= 10;
    *ns = (int32_t)x;
    return true;
}

/* Go's parseSignedOffset: "+hh" / "-h", at most 24; returns bytes used or 0. */
static size_t parse_signed_offset(const char *s, size_t n)
{
    uint64_t x;
    size_t used;
    if (n == 0 || (s[0] != '-' && s[0] != '+'))
        return 0;
    if (!leading_int(s + 1, n - 1, &x, &used) || used == 0 || x > 24)
        return 0;
    return 1 + used;
}

/* Go's parseTimeZone: how many bytes look like a zone abbreviation. */
static size_t parse_tz_abbrev(const char *s, size_t n)
{
    if (n < 3)
        return 0;
    if (n >= 4 && (memcmp(s, "ChST", 4) == 0 || memcmp(s, "MeST", 4) == 0))
        return 4;
    if (memcmp(s, "GMT", 3) == 0)
        return n == 3 ? 3 : 3 + parse_signed_offset(s + 3, n - 3);
    if (s[0] == '+' || s[0] == '-')
        return parse_signed_offset(s, n);
    size_t upper = 0;
    while (upper < 6 && upper < n && s[upper] >= 'A' && s[upper] <= 'Z')
        upper++;
    switch (upper) {
    case 3: return 3;
    case 4: return (s[3] == 'T' || memcmp(s, "WITA", 4) == 0) ? 4 : 0;
    case 5: return s[4] == 'T' ? 5 : 0;
    default: return 0;
    }
}

/* Go's skip: literal layout text must match; a space matches any run of
 * spaces. On failure *c is where matching stopped. */
static bool skip_literal(cursor *c, const char *p, size_t pn)
{
    size_t i = 0;
    while (i < pn) {
        if (p[i] == ' ') {
            if (c->n > 0 && c->s[0] != ' ')
                return false;
            while (i < pn && p[i] == ' ')
                i++;
            while (c->n > 0 && c->s[0] == ' ')
                cur_skip(c, 1);
            continue;
        }
        if (c->n == 0 || c->s[0] != p[i])
            return false;
        i++;
        cur_skip(c, 1);
    }
    return true;
}

/* time.ParseError text: either `parsing time "V" as "L": cannot parse "v"
 * as "l"` or `parsing time "V"<msg>[extra quoted]`. */
static bi_status parse_fail(bi_ctx *ctx, const char *bname, cursor whole_layout, cursor whole_value,
                            cursor velem, const char *lelem, size_t lelem_len, const char *msg,
                            const cursor *extra)
{
    char buf[sizeof ctx->err_msg];
    sbuf sb;
    sb_init(&sb, buf, sizeof buf - 1);
    sb_puts(&sb, "parsing time ");
    quote_go_time(&sb, whole_value.s, whole_value.n);
    if (msg) {
        sb_puts(&sb, msg);
        if (extra)
            quote_go_time(&sb, extra->s, extra->n);
    } else {
        sb_puts(&sb, " as ");
        quote_go_time(&sb, whole_layout.s, whole_layout.n);
        sb_puts(&sb, ": cannot parse ");
        quote_go_time(&sb, velem.s, velem.n);
        sb_puts(&sb, " as ");
        quote_go_time(&sb, lelem, lelem_len);
    }
    buf[sb.len < sizeof buf - 1 ? sb.len : sizeof buf - 1] = '\0';
    return fail_msg(ctx, POL_EVAL_BUILTIN, bname, buf);
}

/* Go's time.Parse(layout, value) with UTC as both default and local
 * zone: a numeric offset moves the instant, "Z"/"UTC" mean UTC, and any
 * other zone abbreviation leaves the wall clock read as UTC (Go only
 * records such an abbreviation unless it is the local zone's). */
static bi_status go_parse(bi_ctx *ctx, const char *bname, const char *layout, size_t ln, const char *value,
                          size_t vn, gotime *out)
{
    const cursor whole_layout = {layout, ln}, whole_value = {value, vn};
    cursor v = {value, vn}, l = {layout, ln};
    const char *range_err = NULL;
    bool am = false, pm = false, utc = false, has_offset = false;
    int64_t year = 0;
    int month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, zone_offset = 0;
    int32_t nsec = 0;

    for (;;) {
        std_chunk ch = next_std(l.s, l.n);
        const char *tok = l.s + ch.prefix;
        if (!skip_literal(&v, l.s, ch.prefix))
            return parse_fail(ctx, bname, whole_layout, whole_value, v, l.s, ch.prefix, NULL, NULL);
        if (ch.std == STD_NONE) {
            if (v.n)
                return parse_fail(ctx, bname, whole_layout, whole_value, v, NULL, 0, ": extra text: ", &v);
            break;
        }
        cur_skip(&l, ch.prefix + ch.len);
        cursor hold = v;
        bool ok = true;
        int64_t x;
        int idx;
        switch (ch.std) {
        case STD_YEAR:
            if (v.n < 2 || !go_atoi(v.s, 2, &x)) {
                ok = false;
                break;
            }
            cur_skip(&v, 2);
            year = x >= 69 ? x + 1900 : x + 2000;
            break;
        case STD_LONG_YEAR:
            if (v.n < 4 || !nt_is_digit_at(v.s, v.n, 0) || !go_atoi(v.s, 4, &x)) {
                ok = false;
                break;
            }
            cur_skip(&v, 4);
            year = x;
            break;
        case STD_MONTH:
        case STD_LONG_MONTH:
            idx = lookup_name(month_names, 12, ch.std == STD_MONTH ? 3 : 0, &v);
            ok = idx >= 0;
            month = idx + 1;
            break;
        case STD_NUM_MONTH:
        case STD_ZERO_MONTH:
            ok = get_num(&v, ch.std == STD_ZERO_MONTH, &month);
            if (ok && (month <= 0 || month > 12))
                range_err = "month";
            break;
        case STD_WEEKDAY:
        case STD_LONG_WEEKDAY: /* checked, otherwise ignored */
            ok = lookup_name(day_names, 7, ch.std == STD_WEEKDAY ? 3 : 0, &v) >= 0;
            break;
        case STD_DAY:
        case STD_UNDER_DAY:
        case STD_ZERO_DAY:
            if (ch.std == STD_UNDER_DAY && v.n > 0 && v.s[0] == ' ')
                cur_skip(&v, 1);
            ok = get_num(&v, ch.std == STD_ZERO_DAY, &day); /* validated against the month below */
            break;
        case STD_UNDER_YEARDAY:
        case STD_ZERO_YEARDAY:
            for (int i = 0; i < 2; i++)
                if (ch.std == STD_UNDER_YEARDAY && v.n > 0 && v.s[0] == ' ')
                    cur_skip(&v, 1);
            ok = get_num3(&v, ch.std == STD_ZERO_YEARDAY, &yday);
            break;
        case STD_HOUR:
            ok = get_num(&v, false, &hour);
            if (hour < 0 || hour >= 24)
                range_err = "hour";
            break;
        case STD_HOUR12:
        case STD_ZERO_HOUR12:
            ok = get_num(&v, ch.std == STD_ZERO_HOUR12, &hour);
            if (hour < 0 || hour > 12)
                range_err = "hour";
            break;
        case STD_MINUTE:
        case STD_ZERO_MINUTE:
            ok = get_num(&v, ch.std == STD_ZERO_MINUTE, &min);
            if (min < 0 || min >= 60)
                range_err = "minute";
            break;
        case STD_SECOND:
        case STD_ZERO_SECOND: {
            ok = get_num(&v, ch.std == STD_ZERO_SECOND, &sec);
            if (!ok)
                break;
            if (sec < 0 || sec >= 60) {
                range_err = "second";
                break;
            }
            /* A fraction in the value that the layout does not spell out
             * is accepted here, unless a fraction token comes next. */
            if (v.n >= 2 && (v.s[0] == '.' || v.s[0] == ',') && nt_is_digit_at(v.s, v.n, 1)) {
                std_chunk nx = next_std(l.s, l.n);
                if (nx.std == STD_FRAC0 || nx.std == STD_FRAC9)
                    break;
                size_t k = 2;
                while (nt_is_digit_at(v.s, v.n, k))
                    k++;
                ok = parse_nanos(v.s, k, &nsec, &range_err);
                cur_skip(&v, k);
            }
            break;
        }
        case STD_PM_UPPER:
        case STD_PM_LOWER: {
            const char *pmw = ch.std == STD_PM_UPPER ? "PM" : "pm",
                       *amw = ch.std == STD_PM_UPPER ? "AM" : "am";
            if (v.n < 2) {
                ok = false;
                break;
            }
            if (memcmp(v.s, pmw, 2) == 0)
                pm = true;
            else if (memcmp(v.s, amw, 2) == 0)
                am = true;
            else
                ok = false;
            cur_skip(&v, 2);
            break;
        }
        case STD_TZ: {
            if (v.n >= 3 && memcmp(v.s, "UTC", 3) == 0) {
                utc = true;
                cur_skip(&v, 3);
                break;
            }
            size_t k = parse_tz_abbrev(v.s, v.n);
            if (!k)
                ok = false;
            else
                cur_skip(&v, k);
            break;
        }
        case STD_FRAC0: {
            size_t nd = 1 + (size_t)ch.digits;
            if (v.n < nd) {
                ok = false;
                break;
            }
            ok = parse_nanos(v.s, nd, &nsec, &range_err);
            cur_skip(&v, nd);
            break;
        }
        case STD_FRAC9: {
            if (v.n < 2 || (v.s[0] != '.' && v.s[0] != ',') || !nt_is_digit_at(v.s, v.n, 1))
                break; /* fraction omitted */
            size_t k = 1;
            while (nt_is_digit_at(v.s, v.n, k))
                k++;
            ok = parse_nanos(v.s, k, &nsec, &range_err);
            cur_skip(&v, k);
            break;
        }
        default: { /* numeric zone offsets; ISO forms also accept "Z" */
            int std = ch.std;
            if (std >= STD_ISO_TZ && std <= STD_ISO_COLON_SECONDS_TZ && v.n >= 1 && v.s[0] == 'Z') {
                cur_skip(&v, 1);
                utc = true;
                break;
            }
            const char *hh, *mm = "00", *ss = "00";
            size_t need;
            char sign;
            if (std == STD_ISO_COLON_TZ || std == STD_NUM_COLON_TZ) {
                need = 6;
                ok = v.n >= need && v.s[3] == ':';
                mm = v.s + 4;
            } else if (std == STD_NUM_SHORT_TZ || std == STD_ISO_SHORT_TZ) {
                need = 3;
                ok = v.n >= need;
            } else if (std == STD_ISO_COLON_SECONDS_TZ || std == STD_NUM_COLON_SECONDS_TZ) {
                need = 9;
                ok = v.n >= need && v.s[3] == ':' && v.s[6] == ':';
                mm = v.s + 4;
                ss = v.s + 7;
            } else if (std == STD_ISO_SECONDS_TZ || std == STD_NUM_SECONDS_TZ) {
                need = 7;
                ok = v.n >= need;
                mm = v.s + 3;
                ss = v.s + 5;
            } else {
                need = 5;
                ok = v.n >= need;
                mm = v.s + 3;
            }
            if (!ok)
                break;
            sign = v.s[0];
            hh = v.s + 1;
            int hr = 0, mi = 0, se = 0;
            cursor ch_h = {hh, 2}, ch_m = {mm, 2}, ch_s = {ss, 2};
            ok = get_num(&ch_h, true, &hr) && get_num(&ch_m, true, &mi) && get_num(&ch_s, true, &se);
            cur_skip(&v, need);
            /* Go allows 24h / 60m / 60s offsets, hence > rather than >=. */
            if (hr > 24)
                range_err = "time zone offset hour";
            if (mi > 60)
                range_err = "time zone offset minute";
            if (se > 60)
                range_err = "time zone offset second";
            zone_offset = (hr * 60 + mi) * 60 + se;
            has_offset = true;
            if (sign == '-')
                zone_offset = -zone_offset;
            else if (sign != '+')
                ok = false;
            break;
        }
        }
        if (range_err) {
            char msg[64];
            snprintf(msg, sizeof msg, ": %s out of range", range_err);
            return parse_fail(ctx, bname, whole_layout, whole_value, v, NULL, 0, msg, NULL);
        }
        if (!ok)
            return parse_fail(ctx, bname, whole_layout, whole_value, hold, tok, ch.len, NULL, NULL);
    }
    if (pm && hour < 12)
        hour += 12;
    else if (am && hour == 12)
        hour = 0;

    if (yday >= 0) {
        int d = 0, m = 0;
        if (is_leap(year)) {
            if (yday == 31 + 29) {
                m = 2;
                d = 29;
            } else if (yday > 31 + 29) {
                yday--;
            }
        }
        if (yday < 1 || yday > 365)
            return parse_fail(ctx, bname, whole_layout, whole_value, v, NULL, 0, ": day-of-year out of range",
                              NULL);
        if (m == 0) {
            m = (yday - 1) / 31 + 1;
            if (days_before_month[m] < yday)
                m++;
            d = yday - days_before_month[m - 1];
        }
        if (month >= 0 && month != m)
            return parse_fail(ctx, bname, whole_layout, whole_value, v, NULL, 0,
                              ": day-of-year does not match month", NULL);
        month = m;
        if (day >= 0 && day != d)
            return parse_fail(ctx, bname, whole_layout, whole_value, v, NULL, 0,
                              ": day-of-year does not match day", NULL);
        day = d;
    } else {
        if (month < 0)
            month = 1;
        if (day < 0)
            day = 1;
    }
    if (day < 1 || day > days_in_month(month, year))
        return parse_fail(ctx, bname, whole_layout, whole_value, v, NULL, 0, ": day out of range", NULL);

    out->sec = days_from_civil(year, month, day) * SEC_PER_DAY + hour * 3600 + min * 60 + sec;
    out->nsec = nsec;
    if (!utc && has_offset)
        out->sec -= zone_offset;
    return BI_OK;
}

/* ---- Go's time.ParseDuration -------------------------------------------- */

static bi_status parse_duration(bi_ctx *ctx, const char *bname, const char *s0, size_t n0, int64_t *out)
{
    static const struct {
        char name[4];
        uint64_t ns;
    } units[] = {
        {"ns", 1},           {"us", 1000},         {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1000},                                            /* U+03BC Greek mu */
        {"ms", 1000000},     {"s", 1000000000ULL}, {"m", 60000000000ULL}, {"h", 3600000000000ULL},
    };
    const uint64_t limit = (uint64_t)1 << 63;
    const char *s = s0;
    size_t n = n0;
    uint64_t d = 0;
    bool neg = false;
    char buf[sizeof ctx->err_msg];
    sbuf sb;
    sb_init(&sb, buf, sizeof buf - 1);

    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return BI_OK;
    }
    if (n == 0)
        goto invalid;
    while (n > 0) {
        uint64_t v = 0, f = 0;
        double scale = 1;
        size_t used;
        if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9')))
            goto invalid;
        if (!leading_int(s, n, &v, &used))
            goto invalid;
        bool pre = used > 0, post = false;
        s += used;
        n -= used;
        if (n > 0 && s[0] == '.') {
            s++;
            n--;
            /* Go's leadingFraction: digits past int64 precision are read but ignored. */
            size_t i = 0;
            bool overflow = false;
            for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
                if (overflow)
                    continue;
                if (f > (limit - 1) / 10) {
                    overflow = true;
                    continue;
                }
                uint64_t y = f * 10 + (uint64_t)(s[i] - '0');
                if (y > limit) {
                    overflow = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
            post = i > 0;
            s += i;
            n -= i;
        }
        if (!pre && !post)
            goto invalid;
        size_t ul = 0;
        while (ul < n && s[ul] != '.' && !(s[ul] >= '0' && s[ul] <= '9'))
            ul++;
        if (ul == 0) {
            sb_puts(&sb, "time: missing unit in duration ");
            quote_go_time(&sb, s0, n0);
            goto fail;
        }
        uint64_t unit = 0;
        for (size_t k = 0; k < sizeof units / sizeof units[0] && !unit; k++)
            if (strlen(units[k].name) == ul && memcmp(units[k].name, s, ul) == 0)
                unit = units[k].ns;
        if (!unit) {
            sb_puts(&sb, "time: unknown unit ");
            quote_go_time(&sb, s, ul);
            sb_puts(&sb, " in duration ");
            quote_go_time(&sb, s0, n0);
            goto fail;
        }
        s += ul;
        n -= ul;
        if (v > limit / unit)
            goto invalid;
        v *= unit;
        if (f > 0) {
            /* As Go: float64 keeps nanosecond accuracy for fractions of an hour. */
            v += (uint64_t)((double)f * ((double)unit / scale));
            if (v > limit)
                goto invalid;
        }
        d += v;
        if (d > limit)
            goto invalid;
    }
    if (neg) {
        *out = (int64_t)(0 - d);
        return BI_OK;
    }
    if (d > limit - 1)
        goto invalid;
    *out = (int64_t)d;
    return BI_OK;
invalid:
    sb.len = 0;
    sb_puts(&sb, "time: invalid duration ");
    quote_go_time(&sb, s0, n0);
fail:
    buf[sb.len < sizeof buf - 1 ? sb.len : sizeof buf - 1] = '\0';
    return fail_msg(ctx, POL_EVAL_BUILTIN, bname, buf);
}

/* ---- time builtins ---------------------------------------------------------- */

bi_status bi_time_now_ns(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)args;
    return nt_out_int(ctx, bi_now_ns(ctx), out);
}

static bi_status parse_with_layout(bi_ctx *ctx, const char *bname, const char *layout, size_t ln,
                                   const val *value, const val **out)
{
    gotime t;
    bi_status st = go_parse(ctx, bname, layout, ln, value->u.s, value->len, &t);
    return st != BI_OK ? st : out_ns(ctx, bname, t, out);
}

bi_status bi_time_parse_ns(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "time.parse_ns";
    if (!nt_is_str(args[0]))
        return bi_type_fail(ctx, name, 1, "string", args[0]);
    if (!nt_is_str(args[1]))
        return bi_type_fail(ctx, name, 2, "string", args[1]);
    const char *layout = args[0]->u.s;
    size_t ln = args[0]->len;
    resolve_layout_name(&layout, &ln);
    return parse_with_layout(ctx, name, layout, ln, args[1], out);
}

/* Two ASCII digits as a number, or -1. */
static int two_digits(const char *s)
{
    unsigned tens = (unsigned)(unsigned char)s[0] - '0', ones = (unsigned)(unsigned char)s[1] - '0';
    if (tens > 9 || ones > 9)
        return -1;
    return (int)(tens * 10 + ones);
}

/* days_from_civil for years 0..9999, in unsigned arithmetic (division by
 * constants without sign fix-ups). Years are counted from 400 years
 * earlier so the year before Jan 1 is never negative; 146097 days (one
 * 400-year era) take that back off. */
static int64_t days_from_civil_4digit(unsigned year, int month, int day, bool leap)
{
    unsigned before = year + 399; /* whole years from 0001 to year+400 */
    int64_t days_to_year = (int64_t)(before * 365u + before / 4 - before / 100 + before / 400) - 146097;
    int yday = days_before_month[month - 1] + (month > 2 && leap) + day - 1;
    return days_to_year + yday - 719162; /* 0001-01-01 .. 1970-01-01 */
}

/* 10^(9-k): scales k fractional digits to nanoseconds. */
static const int32_t frac_scale[10] = {1000000000, 100000000, 10000000, 1000000, 100000,
                                       10000,      1000,      100,      10,      1};

/* The canonical RFC 3339 shape, YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)
 * with every field in range, read without the general layout machinery.
 * Anything else (other shapes, out-of-range fields) returns false and
 * goes through go_parse, which accepts what Go accepts and words the
 * errors; so this path only ever computes the instant go_parse would. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Eight bytes of "YYYY-MM-DDTHH:MM:SS" checked at once: byte i of the
 * word is the text's byte i. XOR with the shape (its separators, and '0'
 * where a digit belongs) leaves a digit's value in a digit's byte and
 * zero in a correct separator's; a byte of 10 or more where a digit
 * belongs (t + 0x76 sets its top bit; a byte already 0x80 or more has
 * it set; a carry out of one only rejects more) or a nonzero separator
 * byte fails the word. Returns the bytes as pairs: byte i becomes
 * 10·digit[i] + digit[i+1] (no byte carries: each is at most 99). */
static bool rfc3339_word(const char *p, uint64_t shape, uint64_t sep_bytes, uint64_t *pairs)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    uint64_t t = w ^ shape, digit_tops = ~sep_bytes & 0x8080808080808080ull;
    if ((t & sep_bytes) != 0 || ((t | (t + 0x7676767676767676ull)) & digit_tops) != 0)
        return false;
    *pairs = t * 10 + (t >> 8);
    return true;
}

#endif

static bool parse_rfc3339_canonical(const char *s, size_t n, gotime *t)
{
    if (n < 20)
        return false;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* bytes 0-7 "YYYY-MM-", 8-15 "DDTHH:MM", 11-18 "HH:MM:SS": each shape
     * written last byte first, then its separator bytes */
    uint64_t date, day_hour, clock;
    if (!rfc3339_word(s, 0x2d30302d30303030ull, 0xff0000ff00000000ull, &date) ||
        !rfc3339_word(s + 8, 0x30303a3030543030ull, 0x0000ff0000ff0000ull, &day_hour) ||
        !rfc3339_word(s + 11, 0x30303a30303a3030ull, 0x0000ff0000ff0000ull, &clock))
        return false;
    int century = (int)(date & 0xff), yy = (int)(date >> 16 & 0xff), month = (int)(date >> 40 & 0xff),
        day = (int)(day_hour & 0xff), hour = (int)(clock & 0xff), min = (int)(clock >> 24 & 0xff),
        sec = (int)(clock >> 48 & 0xff);
#else
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return false;
    int century = two_digits(s), yy = two_digits(s + 2), month = two_digits(s + 5), day = two_digits(s + 8),
        hour = two_digits(s + 11), min = two_digits(s + 14), sec = two_digits(s + 17);
    /* Any -1 makes the OR negative. */
    if ((century | yy | month | day | hour | min | sec) < 0)
        return false;
#endif
    unsigned year = (unsigned)(century * 100 + yy);
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (month < 1 || month > 12 || day < 1 || hour > 23 || min > 59 || sec > 59 ||
        day > days_before_month[month] - days_before_month[month - 1] + (month == 2 && leap))
        return false;
    size_t i = 19;
    int32_t nsec = 0;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && i - start < 9 && s[i] >= '0' && s[i] <= '9')
            nsec = nsec * 10 + (s[i++] - '0');
        if (i == start || (i < n && s[i] >= '0' && s[i] <= '9'))
            return false; /* no digits, or more than nine: the general path */
        nsec *= frac_scale[i - start];
    }
    int offset = 0;
    if (i + 1 == n && s[i] == 'Z') {
        offset = 0;
    } else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh = two_digits(s + i + 1), om = two_digits(s + i + 4);
        if (oh < 0 || om < 0 || oh > 23 || om > 59)
            return false;
        offset = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
    } else {
        return false;
    }
    t->sec =
        days_from_civil_4digit(year, month, day, leap) * SEC_PER_DAY + hour * 3600 + min * 60 + sec - offset;
    t->nsec = nsec;
    return true;
}

bi_status bi_time_parse_rfc3339_ns(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "time.parse_rfc3339_ns", rfc3339[] = "2006-01-02T15:04:05Z07:00";
    if (!nt_is_str(args[0]))
        return bi_type_fail(ctx, name, 1, "string", args[0]);
    gotime t;
    if (parse_rfc3339_canonical(args[0]->u.s, args[0]->len, &t)) {
        /* Strictly inside gotime_to_ns's second bounds t.sec·10^9 + nsec
         * fits int64 and lies inside its nanosecond bounds: the range
         * tests and the call are left to the edges. */
        if (t.sec > GOTIME_NS_MIN_SEC && t.sec < GOTIME_NS_MAX_SEC)
            return nt_out_int(ctx, t.sec * NS_PER_SEC + t.nsec, out);
        return out_ns(ctx, name, t, out);
    }
    return parse_with_layout(ctx, name, rfc3339, sizeof rfc3339 - 1, args[0], out);
}

/* OPA's test-harness builtin (registered by its conformance runner, not by
 * OPA itself; resolved only with POL_COMPILE_TEST_BUILTINS): sleeps for a Go
 * duration and returns null. As the harness, an unparsable or negative
 * duration sleeps for zero. It exists so the "time caching" case can show
 * that time.now_ns is fixed for the whole evaluation. */
bi_status bi_test_sleep(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "test.sleep";
    if (!nt_is_str(args[0]))
        return bi_type_fail(ctx, name, 1, "string", args[0]);
    int64_t ns = 0;
    if (parse_duration(ctx, name, args[0]->u.s, args[0]->len, &ns) != BI_OK) {
        ns = 0;
        ctx->err_code = POL_OK;
        ctx->err_msg[0] = '\0';
    }
    if (ns > 0) {
        struct timespec left = {.tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000)};
        while (nanosleep(&left, &left) != 0 && errno == EINTR) {
        }
    }
    *out = VAL_NULL;
    return BI_OK;
}

bi_status bi_time_parse_duration_ns(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "time.parse_duration_ns";
    int64_t ns;
    if (!nt_is_str(args[0]))
        return bi_type_fail(ctx, name, 1, "string", args[0]);
    bi_status st = parse_duration(ctx, name, args[0]->u.s, args[0]->len, &ns);
    return st != BI_OK ? st : nt_out_int(ctx, ns, out);
}

static bi_status out_ints(bi_ctx *ctx, const int64_t *xs, int n, const val **out)
{
    vbuild vb;
    vb_init(&vb, ctx->arena);
    for (int i = 0; i < n; i++) {
        const val *v = v_int(ctx->arena, xs[i]);
        if (!v || !vb_push(&vb, v))
            return bi_oom(ctx);
    }
    *out = vb_finish_array(&vb);
    return *out ? BI_OK : bi_oom(ctx);
}

/* Reads operand 1 as a zoned time and its wall clock. */
static bi_status civil_operand(bi_ctx *ctx, const char *name, const val *a, zoned_time *zt, civil *c,
                               tzperiod *p)
{
    bi_status st = time_operand(ctx, name, a, zt);
    if (st == BI_OK)
        zoned_civil(zt, c, p);
    return st;
}

bi_status bi_time_date(bi_ctx *ctx, const val *const *args, const val **out)
{
    zoned_time zt;
    civil c;
    tzperiod p;
    bi_status st = civil_operand(ctx, "time.date", args[0], &zt, &c, &p);
    if (st != BI_OK)
        return st;
    int64_t r[3] = {c.year, c.month, c.day};
    return out_ints(ctx, r, 3, out);
}

bi_status bi_time_clock(bi_ctx *ctx, const val *const *args, const val **out)
{
    zoned_time zt;
    civil c;
    tzperiod p;
    bi_status st = civil_operand(ctx, "time.clock", args[0], &zt, &c, &p);
    if (st != BI_OK)
        return st;
    int64_t r[3] = {c.hour, c.min, c.sec};
    return out_ints(ctx, r, 3, out);
}

bi_status bi_time_weekday(bi_ctx *ctx, const val *const *args, const val **out)
{
    zoned_time zt;
    civil c;
    tzperiod p;
    bi_status st = civil_operand(ctx, "time.weekday", args[0], &zt, &c, &p);
    if (st != BI_OK)
        return st;
    *out = v_cstr(ctx->arena, day_names[c.wday]);
    return *out ? BI_OK : bi_oom(ctx);
}

bi_status bi_time_format(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char rfc3339nano[] = "2006-01-02T15:04:05.999999999Z07:00";
    zoned_time zt;
    civil c;
    tzperiod p;
    bi_status st = civil_operand(ctx, "time.format", args[0], &zt, &c, &p);
    if (st != BI_OK)
        return st;
    const char *layout = zt.layout;
    size_t ln = zt.layout_len;
    if (!layout || ln == 0) {
        layout = rfc3339nano;
        ln = sizeof rfc3339nano - 1;
    } else {
        resolve_layout_name(&layout, &ln);
    }
    /* Measure on the stack, then write into an arena buffer of the exact size. */
    char tmp[256];
    sbuf sb;
    sb_init(&sb, tmp, sizeof tmp);
    format_time(&sb, layout, ln, &c, &p);
    if (sb_ok(&sb))
        return nt_out_str(ctx, tmp, sb.len, out);
    size_t need = sb.len;
    char *buf = arena_alloc(ctx->arena, need + 1);
    if (!buf)
        return bi_oom(ctx);
    sb_init(&sb, buf, need + 1);
    format_time(&sb, layout, ln, &c, &p);
    buf[need] = '\0';
    *out = v_str_ref(ctx->arena, buf, need);
    return *out ? BI_OK : bi_oom(ctx);
}

bi_status bi_time_add_date(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "time.add_date";
    zoned_time zt;
    civil c;
    tzperiod p;
    int64_t years, months, days;
    bi_status st = civil_operand(ctx, name, args[0], &zt, &c, &p);
    if (st == BI_OK)
        st = nt_int_operand(ctx, name, 2, args[1], &years);
    if (st == BI_OK)
        st = nt_int_operand(ctx, name, 3, args[2], &months);
    if (st == BI_OK)
        st = nt_int_operand(ctx, name, 4, args[3], &days);
    if (st != BI_OK)
        return st;
    /* Beyond these magnitudes the result is out of range whatever the
     * other operands are; within them the arithmetic cannot overflow. */
    gotime t;
    if (years < -1000000000LL || years > 1000000000LL || months < -(1LL << 40) || months > (1LL << 40) ||
        days < -(1LL << 40) || days > (1LL << 40) ||
        !wall_to_instant(c.year + years, c.month + months, c.day + days, &c, &zt.loc, &t))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: time outside of valid range", name);
    return out_ns(ctx, name, t, out);
}

bi_status bi_time_diff(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "time.diff";
    zoned_time a, b;
    bi_status st = time_operand(ctx, name, args[0], &a);
    if (st == BI_OK)
        st = time_operand(ctx, name, args[1], &b);
    if (st != BI_OK)
        return st;
    /* Both readings are taken in the first operand's zone, earlier first. */
    b.loc = a.loc;
    if (a.t.sec > b.t.sec || (a.t.sec == b.t.sec && a.t.nsec > b.t.nsec)) {
        zoned_time t = a;
        a = b;
        b = t;
    }
    civil c1, c2;
    tzperiod p;
    zoned_civil(&a, &c1, &p);
    zoned_civil(&b, &c2, &p);
    int64_t year = c2.year - c1.year, month = c2.month - c1.month, day = c2.day - c1.day,
            hour = c2.hour - c1.hour, min = c2.min - c1.min, sec = c2.sec - c1.sec;
    if (sec < 0) {
        sec += 60;
        min--;
    }
    if (min < 0) {
        min += 60;
        hour--;
    }
    if (hour < 0) {
        hour += 24;
        day--;
    }
    if (day < 0) {
        day += days_in_month(c1.month, c1.year);
        month--;
    }
    if (month < 0) {
        month += 12;
        year--;
    }
    int64_t r[6] = {year, month, day, hour, min, sec};
    return out_ints(ctx, r, 6, out);
}
