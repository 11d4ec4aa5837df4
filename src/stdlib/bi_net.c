/* net.* builtins: CIDR arithmetic and host lookup.
 *
 * OPA implements these with Go's net package (ParseIP, ParseCIDR, IPNet)
 * and the conformance cases check the results and error texts those
 * produce, so this file reproduces Go's behaviour, quirks included (each
 * one noted where it happens).
 *
 * I/O: net.lookup_ip_addr calls getaddrinfo, which may block on DNS and
 * allocates inside libc (freed before returning); it is BIF_NONDET.
 */
#include "bi_net_time_util.h"

#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>

/* ======================================================================
 * IP addresses: Go's net.IP / net.IPNet semantics
 *
 * An address is 4 or 16 bytes (0 = nil), exactly as Go keeps it, because
 * Go's Contains/Mask/String branch on the length and on whether a 16-byte
 * address is IPv4-mapped (::ffff:a.b.c.d); results differ otherwise.
 * ====================================================================== */

typedef struct ipaddr {
    uint8_t b[16];
    uint8_t len; /* 0 (nil), 4 or 16 */
} ipaddr;

typedef struct ipnet {
    ipaddr ip, mask;
} ipnet;

static const uint8_t v4_in_v6_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool ip_to4(const ipaddr *ip, ipaddr *out)
{
    if (ip->len == 4) {
        *out = *ip;
        return true;
    }
    if (ip->len == 16 && memcmp(ip->b, v4_in_v6_prefix, 12) == 0) {
        memset(out, 0, sizeof *out);
        memcpy(out->b, ip->b + 12, 4);
        out->len = 4;
        return true;
    }
    return false;
}

/* netip's dotted-quad parser: exactly four decimal fields, no leading
 * zeros, each <= 255. */
static bool parse_v4_fields(const char *s, size_t n, uint8_t out[4])
{
    int val = 0, pos = 0, digits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (digits == 1 && val == 0)
                return false; /* leading zero */
            val = val * 10 + (c - '0');
            digits++;
            if (val > 255)
                return false;
        } else if (c == '.') {
            if (i == 0 || i == n - 1 || s[i - 1] == '.' || pos == 3)
                return false;
            out[pos++] = (uint8_t)val;
            val = 0;
            digits = 0;
        } else {
            return false;
        }
    }
    if (pos < 3)
        return false;
    out[3] = (uint8_t)val;
    return true;
}

/* netip's IPv6 parser, without zones (ParseIP and ParseCIDR reject them). */
static bool parse_v6(const char *s, size_t n, uint8_t ip[16])
{
    memset(ip, 0, 16);
    if (memchr(s, '%', n))
        return false;
    int ellipsis = -1, i = 0;
    size_t p = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        ellipsis = 0;
        p = 2;
        if (p == n)
            return true;
    }
    while (i < 16) {
        size_t off = 0;
        uint32_t acc = 0;
        while (p + off < n) {
            int d = nt_hex_digit(s[p + off]);
            if (d < 0)
                break;
            acc = (acc << 4) | (uint32_t)d;
            if (off > 3)
                return false; /* more than four hex digits in a group */
            off++;
        }
        if (off == 0)
            return false;
        if (p + off < n && s[p + off] == '.') {
            /* Embedded IPv4 must fill exactly the last 32 bits (or follow ::). */
            if ((ellipsis < 0 && i != 12) || i + 4 > 16)
                return false;
            if (!parse_v4_fields(s + p, n - p, ip + i))
                return false;
            p = n;
            i += 4;
            break;
        }
        ip[i] = (uint8_t)(acc >> 8);
        ip[i + 1] = (uint8_t)acc;
        i += 2;
        p += off;
        if (p == n)
            break;
        if (s[p] != ':' || p + 1 == n)
            return false;
        p++;
        if (s[p] == ':') {
            if (ellipsis >= 0)
                return false;
            ellipsis = i;
            p++;
            if (p == n)
                break;
        }
    }
    if (p != n)
        return false;
    if (i < 16) {
        if (ellipsis < 0)
            return false;
        int shift = 16 - i;
        for (int j = i - 1; j >= ellipsis; j--)
            ip[j + shift] = ip[j];
        memset(ip + ellipsis, 0, (size_t)shift);
    } else if (ellipsis >= 0) {
        return false; /* :: must stand for at least one group */
    }
    return true;
}

/* netip.ParseAddr without zones: the first '.', ':' or '%' decides the
 * family. Result is the 16-byte form (IPv4 mapped); *is4 says it was a
 * dotted quad (bit length 32 for ParseCIDR). */
static bool parse_addr(const char *s, size_t n, uint8_t out[16], bool *is4)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            memcpy(out, v4_in_v6_prefix, 12);
            *is4 = true;
            return parse_v4_fields(s, n, out + 12);
        }
        if (s[i] == ':') {
            *is4 = false;
            return parse_v6(s, n, out);
        }
        if (s[i] == '%')
            return false;
    }
    return false;
}

/* net.ParseIP: always 16 bytes. */
static bool parse_ip(const char *s, size_t n, ipaddr *ip)
{
    bool is4;
    memset(ip, 0, sizeof *ip);
    if (!parse_addr(s, n, ip->b, &is4))
        return false;
    ip->len = 16;
    return true;
}

static ipaddr cidr_mask(int ones, int bits)
{
    ipaddr m;
    memset(&m, 0, sizeof m);
    m.len = (uint8_t)(bits / 8);
    for (int i = 0; i < m.len; i++) {
        int take = ones >= 8 ? 8 : (ones > 0 ? ones : 0);
        m.b[i] = (uint8_t)(0xff00u >> take);
        ones -= take;
    }
    return m;
}

static bool all_ff(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0xff)
            return false;
    return true;
}

/* net.IP.Mask, including its conversions between 4- and 16-byte forms. */
static ipaddr ip_mask(const ipaddr *ip, const ipaddr *mask)
{
    ipaddr r;
    memset(&r, 0, sizeof r);
    const uint8_t *mb = mask->b, *ib = ip->b;
    size_t ml = mask->len, il = ip->len;
    if (ml == 16 && il == 4 && all_ff(mb, 12)) {
        mb += 12;
        ml = 4;
    }
    if (ml == 4 && il == 16 && memcmp(ib, v4_in_v6_prefix, 12) == 0) {
        ib += 12;
        il = 4;
    }
    if (il != ml)
        return r;
    r.len = (uint8_t)il;
    for (size_t i = 0; i < il; i++)
        r.b[i] = ib[i] & mb[i];
    return r;
}

/* net.ParseCIDR: "addr/bits". *ip (optional) receives the unmasked
 * address in 16-byte form; the network's IP is masked and, for IPv4, 4
 * bytes long. */
static bool parse_cidr(const char *s, size_t n, ipaddr *ip, ipnet *net)
{
    const char *slash = memchr(s, '/', n);
    if (!slash)
        return false;
    size_t an = (size_t)(slash - s), mn = n - an - 1;
    const char *ms = slash + 1;
    ipaddr full;
    bool is4;
    memset(&full, 0, sizeof full);
    if (!parse_addr(s, an, full.b, &is4))
        return false;
    full.len = 16;
    int bits = is4 ? 32 : 128;
    /* Go's dtoi: decimal digits only, leading zeros allowed. */
    long ones = 0;
    size_t i = 0;
    for (; i < mn && ms[i] >= '0' && ms[i] <= '9'; i++) {
        ones = ones * 10 + (ms[i] - '0');
        if (ones >= 0xFFFFFF)
            return false;
    }
    if (i == 0 || i != mn || ones > bits)
        return false;
    net->mask = cidr_mask((int)ones, bits);
    net->ip = ip_mask(&full, &net->mask);
    if (ip)
        *ip = full;
    return true;
}

/* Go's networkNumberAndMask. */
static bool net_number_and_mask(const ipnet *n, ipaddr *ip, ipaddr *m)
{
    if (!ip_to4(&n->ip, ip)) {
        *ip = n->ip;
        if (ip->len != 16)
            return false;
    }
    *m = n->mask;
    switch (m->len) {
    case 4: return ip->len == 4;
    case 16:
        if (ip->len == 4) {
            memmove(m->b, m->b + 12, 4);
            m->len = 4;
        }
        return true;
    default: return false;
    }
}

static bool net_contains(const ipnet *n, const ipaddr *addr)
{
    ipaddr nn, m, ip = *addr, x;
    if (!net_number_and_mask(n, &nn, &m))
        return false;
    if (ip_to4(&ip, &x))
        ip = x;
    if (ip.len != nn.len)
        return false;
    for (int i = 0; i < ip.len; i++)
        if ((nn.b[i] & m.b[i]) != (ip.b[i] & m.b[i]))
            return false;
    return true;
}

/* Leading ones of a canonical mask, -1 for a non-canonical one. */
static int simple_mask_len(const ipaddr *m)
{
    int n = 0;
    for (int i = 0; i < m->len; i++) {
        unsigned v = m->b[i];
        if (v == 0xff) {
            n += 8;
            continue;
        }
        while (v & 0x80) {
            n++;
            v = (v << 1) & 0xff;
        }
        if (v)
            return -1;
        for (i++; i < m->len; i++)
            if (m->b[i])
                return -1;
        break;
    }
    return n;
}

/* Last address of a network: its IP with every host bit set. */
static ipaddr net_last_ip(const ipnet *n)
{
    ipaddr last = n->ip;
    for (int i = 0; i < last.len && i < n->mask.len; i++)
        last.b[i] |= (uint8_t)~n->mask.b[i];
    return last;
}

static void put_hex16(sbuf *b, unsigned v)
{
    char tmp[8];
    int k = snprintf(tmp, sizeof tmp, "%x", v & 0xffffu);
    sb_put(b, tmp, (size_t)k);
}

/* net.IP.String: dotted quad for IPv4 (and IPv4-mapped), RFC 5952 for
 * IPv6 (the first longest run of two or more zero groups becomes ::). */
static void ip_write(sbuf *b, const ipaddr *ip)
{
    ipaddr v4;
    if (ip->len == 0) {
        sb_puts(b, "<nil>");
        return;
    }
    if (ip_to4(ip, &v4)) {
        char tmp[20];
        int k = snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", v4.b[0], v4.b[1], v4.b[2], v4.b[3]);
        sb_put(b, tmp, (size_t)k);
        return;
    }
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)ip->b[2 * i] << 8 | ip->b[2 * i + 1];
    int zs = -1, ze = -1;
    for (int i = 0; i < 8; i++) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i >= 2 && j - i > ze - zs) {
            zs = i;
            ze = j;
        }
    }
    for (int i = 0; i < 8; i++) {
        if (i == zs) {
            sb_puts(b, "::");
            i = ze;
            if (i >= 8)
                break;
        } else if (i > 0) {
            sb_putc(b, ':');
        }
        put_hex16(b, g[i]);
    }
}

/* net.IPNet.String: network number (as stored: Go does not re-mask) and
 * prefix length. */
static void net_write(sbuf *b, const ipnet *n)
{
    ipaddr ip, m;
    if (!net_number_and_mask(n, &ip, &m)) {
        sb_puts(b, "<nil>");
        return;
    }
    ip_write(b, &ip);
    int l = simple_mask_len(&m);
    char tmp[40];
    int k;
    if (l >= 0) {
        k = snprintf(tmp, sizeof tmp, "/%d", l);
        sb_put(b, tmp, (size_t)k);
    } else {
        sb_putc(b, '/');
        for (int i = 0; i < m.len; i++) {
            k = snprintf(tmp, sizeof tmp, "%02x", m.b[i]);
            sb_put(b, tmp, (size_t)k);
        }
    }
}

static bi_status out_net_text(bi_ctx *ctx, const ipnet *n, const ipaddr *ip, const val **out)
{
    char buf[80];
    sbuf sb;
    sb_init(&sb, buf, sizeof buf);
    if (n)
        net_write(&sb, n);
    else
        ip_write(&sb, ip);
    return nt_out_str(ctx, buf, sb.len < sizeof buf ? sb.len : sizeof buf, out);
}

static bi_status fail_invalid_cidr(bi_ctx *ctx, const char *name, const val *s)
{
    return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: invalid CIDR address: %.*s", name, (int)s->len, s->u.s);
}

/* OPA's getNetFromOperand. Its type error always names operand 1. */
static bi_status net_operand(bi_ctx *ctx, const char *name, const val *v, ipnet *out)
{
    if (!nt_is_str(v))
        return bi_type_fail(ctx, name, 1, "string", v);
    if (!parse_cidr(v->u.s, v->len, NULL, out))
        return fail_invalid_cidr(ctx, name, v);
    return BI_OK;
}

/* ---- net.cidr_contains fast path -----------------------------------------
 *
 * Policies test plain addresses against plain networks far more often than
 * anything else, and the general path (byte arrays, Go's 4/16-byte
 * conversions, two parses per operand) costs ~900 instructions a call for
 * that. The fast path reads the common shapes straight into 128-bit
 * integers: dotted quads, and IPv6 made only of hex groups and at most one
 * "::". It accepts a subset of what the general parsers accept and
 * computes the same answer on it; anything else (an embedded dotted quad,
 * a zone, a malformed operand, a non-string) returns "not decided" and is
 * left to the general path, which also words the errors. The stdlib test
 * checks this against bi_net_cidr_contains_general.
 *
 * Every address is held in Go's 16-byte form, an IPv4 one mapped to
 * ::ffff:a.b.c.d. An IPv4 network is held the same way with its mask's
 * first 96 bits set; Go's Contains then reduces to one rule for both
 * families (see fast_net_contains).
 *
 * The scanners read a value's string, relying on the NUL that follows every
 * one (value.h): the NUL stops a scan like any other byte that is not part
 * of an address, so no byte past it is read and no per-byte length check
 * is needed. Callers compare the returned position with the text's end. */

typedef struct u128 {
    uint64_t hi, lo;
} u128;

enum { MAPPED_V4_TAG = 0xffff }; /* bits 32..47 of an IPv4-mapped address */

static bool u128_is_v4(u128 x)
{
    return x.hi == 0 && (x.lo >> 32) == MAPPED_V4_TAG;
}

/* A dotted quad with netip's rules: exactly four decimal fields of 1-3
 * digits, no leading zero, each <= 255. Returns the first byte after it,
 * or NULL. */
static const char *v4_scan(const char *p, uint32_t *addr)
{
    uint32_t a = 0;
    for (int field = 0;; field++) {
        unsigned v = (unsigned)(unsigned char)p[0] - '0';
        if (v > 9)
            return NULL;
        unsigned d = (unsigned)(unsigned char)p[1] - '0';
        if (d > 9) {
            p += 1;
        } else if (v == 0) {
            return NULL; /* leading zero */
        } else {
            v = v * 10 + d;
            d = (unsigned)(unsigned char)p[2] - '0';
            if (d > 9) {
                p += 2;
            } else {
                v = v * 10 + d;
                if (v > 255)
                    return NULL;
                p += 3;
            }
        }
        a = a << 8 | v;
        if (field == 3)
            break;
        if (*p++ != '.')
            return NULL;
    }
    *addr = a;
    return p;
}

/* A hex digit's value plus one; 0 for any other byte (the NUL included). */
static const uint8_t hex_digit_plus1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static unsigned hex_plus1(char c)
{
    return hex_digit_plus1[(unsigned char)c];
}

/* One group of 1-4 hex digits into *group. Returns the byte after it, or
 * NULL (no digit, or a fifth one). Byte k is read only after byte k-1
 * was a digit, so never past the NUL. */
static const char *hex_group(const char *p, unsigned *group)
{
    unsigned d = hex_plus1(p[0]);
    if (!d)
        return NULL;
    unsigned v = d - 1;
    for (int k = 1; k < 4; k++) {
        d = hex_plus1(p[k]);
        if (!d) {
            *group = v;
            return p + k;
        }
        v = v << 4 | (d - 1);
    }
    if (hex_plus1(p[4]))
        return NULL;
    *group = v;
    return p + 4;
}

/* IPv6 of hex groups separated by ':', with at most one "::" that stands
 * for at least one zero group, as netip reads it. Returns the first byte
 * after it, or NULL. A following '.' (embedded dotted quad) or '%' (zone)
 * makes the caller's end check fail: the general path. */
static const char *v6_scan(const char *p, u128 *out)
{
    unsigned group[8];
    int count = 0, ellipsis = -1;
    bool more = true;
    if (p[0] == ':') {
        if (p[1] != ':')
            return NULL;
        ellipsis = 0;
        p += 2;
        more = hex_plus1(*p) != 0;
    }
    while (more) {
        if (count == 8)
            return NULL;
        p = hex_group(p, &group[count++]);
        if (!p)
            return NULL;
        if (*p != ':')
            break;
        if (p[1] == ':') {
            if (ellipsis >= 0)
                return NULL;
            ellipsis = count;
            p += 2;
            more = hex_plus1(*p) != 0;
        } else {
            p++; /* a group must follow */
        }
    }
    if (ellipsis < 0 ? count != 8 : count == 8)
        return NULL;
    /* Groups after the ellipsis move to the end; the gap is zeros. */
    uint64_t half[2] = {0, 0};
    int tail = ellipsis < 0 ? 0 : count - ellipsis;
    for (int i = 0; i < count; i++) {
        int slot = (ellipsis >= 0 && i >= ellipsis) ? 8 - tail + (i - ellipsis) : i;
        half[slot >> 2] |= (uint64_t)group[i] << (16 * (3 - (slot & 3)));
    }
    out->hi = half[0];
    out->lo = half[1];
    return p;
}

/* An address at p in Go's 16-byte form; *bits is 32 for a dotted quad,
 * 128 for IPv6 (ParseCIDR's prefix limit). */
static const char *addr_scan(const char *p, u128 *ip, int *bits)
{
    uint32_t v4;
    const char *end = v4_scan(p, &v4);
    if (end) {
        ip->hi = 0;
        ip->lo = (uint64_t)MAPPED_V4_TAG << 32 | v4;
        *bits = 32;
        return end;
    }
    *bits = 128;
    return v6_scan(p, ip);
}

static bool fast_addr(const val *s, u128 *ip)
{
    int bits;
    return addr_scan(s->u.s, ip, &bits) == s->u.s + s->len;
}

/* One policy tests one address against many networks (a list of
 * trusted ones): the context keeps the last address read, keyed by its
 * text alone, never by where the text lives (the arena reuses memory).
 * ADDR_MEMO_MAX: a dotted quad's 15 bytes and short IPv6 texts. */
enum { ADDR_MEMO_MAX = 16 };

/* The text s[0..n) (4 <= n <= ADDR_MEMO_MAX) as two words, zero padded
 * past n: overlapping loads, the second shifted down past the bytes the
 * first holds (on little-endian machines; a byte copy elsewhere). */
static void addr_memo_words(const char *s, size_t n, uint64_t w[2])
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 8) {
        memcpy(&w[0], s, 8);
        uint64_t top;
        memcpy(&top, s + n - 8, 8);
        w[1] = n > 8 ? top >> (8 * (16 - n)) : 0;
    } else {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        /* y's bytes below n - 4 repeat x's: or-ing them changes nothing */
        w[0] = (uint64_t)x | (uint64_t)y << (8 * (n - 4));
        w[1] = 0;
    }
#else
    unsigned char b[ADDR_MEMO_MAX] = {0};
    memcpy(b, s, n);
    memcpy(w, b, sizeof b);
#endif
}

/* Whether s is the context's memoised address text: *ip is then its
 * address. */
static inline bool addr_memo_hit(const bi_ctx *ctx, const val *s, u128 *ip)
{
    if (s->len < 4 || s->len > ADDR_MEMO_MAX || ctx->addr_memo.len != s->len)
        return false;
    uint64_t w[2];
    addr_memo_words(s->u.s, s->len, w);
    if (ctx->addr_memo.text[0] != w[0] || ctx->addr_memo.text[1] != w[1])
        return false;
    *ip = (u128){ctx->addr_memo.hi, ctx->addr_memo.lo};
    return true;
}

/* fast_addr through the context's memo of the last address. */
static bool fast_addr_memo(bi_ctx *ctx, const val *s, u128 *ip)
{
    if (addr_memo_hit(ctx, s, ip))
        return true;
    if (!fast_addr(s, ip))
        return false;
    if (s->len < 4 || s->len > ADDR_MEMO_MAX)
        return true;
    uint64_t w[2];
    addr_memo_words(s->u.s, s->len, w);
    ctx->addr_memo.text[0] = w[0];
    ctx->addr_memo.text[1] = w[1];
    ctx->addr_memo.hi = ip->hi;
    ctx->addr_memo.lo = ip->lo;
    ctx->addr_memo.len = s->len;
    return true;
}

/* "addr/ones" as ParseCIDR reads it: the masked network and its mask. */
static bool fast_cidr(const val *s, u128 *net, u128 *mask)
{
    const char *p, *end = s->u.s + s->len;
    u128 ip;
    int bits;
    p = addr_scan(s->u.s, &ip, &bits);
    if (!p || *p != '/' || ++p == end)
        return false;
    /* Go's dtoi: decimal digits, leading zeros allowed. */
    int ones = 0;
    for (; p != end; p++) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d > 9)
            return false;
        ones = ones * 10 + (int)d;
        if (ones > bits)
            return false;
    }
    /* Prefix length in the 16-byte form. */
    int ones128 = ones + 128 - bits;
    mask->hi = ones128 >= 64 ? ~(uint64_t)0 : ones128 == 0 ? 0 : ~(uint64_t)0 << (64 - ones128);
    mask->lo = ones128 <= 64 ? 0 : ~(uint64_t)0 << (128 - ones128);
    net->hi = ip.hi & mask->hi;
    net->lo = ip.lo & mask->lo;
    return true;
}

/* Go's IPNet.Contains in the 16-byte form. A network whose number is
 * IPv4(-mapped) behaves as a 4-byte network (networkNumberAndMask takes
 * the last 4 bytes of its mask) and contains only addresses that To4
 * accepts; any other network contains only addresses To4 rejects. */
static bool fast_net_contains(u128 net, u128 mask, u128 ip)
{
    bool net_v4 = u128_is_v4(net);
    if (net_v4 != u128_is_v4(ip))
        return false;
    if (net_v4)
        return ((ip.lo ^ net.lo) & mask.lo & 0xffffffffu) == 0;
    return (((ip.hi ^ net.hi) & mask.hi) | ((ip.lo ^ net.lo) & mask.lo)) == 0;
}

/* false = not decided here: the general path takes over. */
static bool cidr_contains_fast(const val *a, const val *b, bool *res)
{
    u128 net, mask, ip, bmask;
    if (!nt_is_str(a) || !nt_is_str(b) || !fast_cidr(a, &net, &mask))
        return false;
    if (fast_addr(b, &ip)) {
        *res = fast_net_contains(net, mask, ip);
        return true;
    }
    if (!fast_cidr(b, &ip, &bmask))
        return false;
    /* A network is inside a iff its first and last addresses are. */
    u128 last = {ip.hi | ~bmask.hi, ip.lo | ~bmask.lo};
    *res = fast_net_contains(net, mask, ip) && fast_net_contains(net, mask, last);
    return true;
}

/* net.cidr_contains(a, b): b is an address or a network inside a. */
static bi_status cidr_contains_general(bi_ctx *ctx, const char *name, const val *a, const val *b, bool *res)
{
    ipnet na, nb;
    ipaddr ip;
    bi_status st = net_operand(ctx, name, a, &na);
    if (st != BI_OK)
        return st;
    if (!nt_is_str(b))
        return bi_type_fail(ctx, name, 1, "string", b);
    if (parse_ip(b->u.s, b->len, &ip)) {
        *res = net_contains(&na, &ip);
        return BI_OK;
    }
    if (!parse_cidr(b->u.s, b->len, NULL, &nb))
        return bi_fail(ctx, POL_EVAL_BUILTIN,
                       "%s: not a valid textual representation of an IP address or CIDR: %.*s", name,
                       (int)b->len, b->u.s);
    /* Contained iff both the first and the last address of b are in a. */
    *res = false;
    if (net_contains(&na, &nb.ip)) {
        ipaddr last = net_last_ip(&nb);
        *res = net_contains(&na, &last);
    }
    return BI_OK;
}

static bi_status cidr_contains(bi_ctx *ctx, const char *name, const val *a, const val *b, bool *res)
{
    if (cidr_contains_fast(a, b, res))
        return BI_OK;
    return cidr_contains_general(ctx, name, a, b, res);
}

/* A network operand that is one of the bundle's constants (a policy's
 * list of trusted networks, say) is read by fast_cidr once per context
 * and kept in its prep slot; a call then only reads the address. The
 * slot holds a cidr_prep, or cidr_unprepared for a constant fast_cidr
 * does not take (which every call leaves to cidr_contains). */
typedef struct cidr_prep {
    u128 net, mask;
} cidr_prep;

static const cidr_prep cidr_unprepared = {{0, 0}, {0, 0}};

/* The prepared network of string a, or NULL. */
static const cidr_prep *cidr_prepared(bi_ctx *ctx, const val *a)
{
    const void **slot = bi_prep_slot(ctx, a, BI_PREP_CIDR);
    if (!slot)
        return NULL;
    if (!*slot) {
        u128 net, mask;
        cidr_prep *p = NULL;
        if (!fast_cidr(a, &net, &mask)) {
            *slot = &cidr_unprepared;
            return NULL;
        }
        p = ctx->prep_mem ? arena_alloc(ctx->prep_mem, sizeof *p) : NULL;
        if (!p)
            return NULL; /* no room to keep it: read per call */
        *p = (cidr_prep){net, mask};
        *slot = p;
    }
    return *slot == &cidr_unprepared ? NULL : *slot;
}

/* Every call but the repeated one: preparing a network, reading a new
 * address, the general path. It looks a's prep slot up again: handing
 * the slot over from bi_net_cidr_contains cost the repeated call more
 * (a register kept across its tests) than the second lookup costs here. */
static __attribute__((noinline)) bi_status cidr_contains_call(bi_ctx *ctx, const val *a, const val *b,
                                                              const val **out)
{
    if (nt_is_str(a) && nt_is_str(b)) {
        const cidr_prep *p = cidr_prepared(ctx, a);
        u128 ip;
        if (p && fast_addr_memo(ctx, b, &ip)) {
            *out = VAL_BOOL(fast_net_contains(p->net, p->mask, ip));
            return BI_OK;
        }
    }
    bool r;
    bi_status st = cidr_contains(ctx, "net.cidr_contains", a, b, &r);
    if (st == BI_OK)
        *out = VAL_BOOL(r);
    return st;
}

/* The common call, a constant network already prepared against the
 * address of the call before (a policy testing one address against a
 * list of networks), answered in a function that keeps no registers: the
 * rest is cidr_contains_call's. */
bi_status bi_net_cidr_contains(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *a = args[0], *b = args[1];
    if (nt_is_str(a) && nt_is_str(b)) {
        const void **slot = bi_prep_slot(ctx, a, BI_PREP_CIDR);
        const cidr_prep *p = slot ? *slot : NULL;
        u128 ip;
        if (p && p != &cidr_unprepared && addr_memo_hit(ctx, b, &ip)) {
            *out = VAL_BOOL(fast_net_contains(p->net, p->mask, ip));
            return BI_OK;
        }
    }
    return cidr_contains_call(ctx, a, b, out);
}

bi_status bi_net_cidr_contains_general(bi_ctx *ctx, const val *const *args, const val **out)
{
    bool r;
    bi_status st = cidr_contains_general(ctx, "net.cidr_contains", args[0], args[1], &r);
    if (st == BI_OK)
        *out = VAL_BOOL(r);
    return st;
}

bi_status bi_net_cidr_intersects(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "net.cidr_intersects";
    ipnet a, b;
    bi_status st = net_operand(ctx, name, args[0], &a);
    if (st == BI_OK)
        st = net_operand(ctx, name, args[1], &b);
    if (st != BI_OK)
        return st;
    *out = VAL_BOOL(net_contains(&a, &b.ip) || net_contains(&b, &a.ip));
    return BI_OK;
}

bi_status bi_net_cidr_is_valid(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    ipnet n;
    *out = VAL_BOOL(nt_is_str(args[0]) && parse_cidr(args[0]->u.s, args[0]->len, NULL, &n));
    return BI_OK;
}

static void ip_increment(ipaddr *ip)
{
    for (int j = ip->len - 1; j >= 0; j--)
        if (++ip->b[j] != 0)
            break;
}

bi_status bi_net_cidr_expand(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "net.cidr_expand";
    const val *s = args[0];
    ipaddr ip;
    ipnet n;
    if (!nt_is_str(s))
        return bi_type_fail(ctx, name, 1, "string", s);
    if (!parse_cidr(s->u.s, s->len, &ip, &n))
        return fail_invalid_cidr(ctx, name, s);
    int host_bits = n.mask.len * 8 - simple_mask_len(&n.mask);
    /* 2^32 or more addresses cannot fit in any evaluation arena; refuse
     * before looping (OPA would spin until cancelled). */
    if (host_bits >= 32)
        return bi_oom(ctx);
    uint64_t count = (uint64_t)1 << host_bits;
    vbuild vb;
    vb_init(&vb, ctx->arena);
    ipaddr cur = ip_mask(&ip, &n.mask);
    for (uint64_t k = 0; k < count && net_contains(&n, &cur); k++, ip_increment(&cur)) {
        const val *v;
        if (out_net_text(ctx, NULL, &cur, &v) != BI_OK || !vb_push(&vb, v))
            return bi_oom(ctx);
    }
    *out = vb_finish_set(&vb);
    return *out ? BI_OK : bi_oom(ctx);
}

/* ---- net.cidr_contains_matches ---------------------------------------- */

static uint32_t cm_count(const val *op)
{
    if (!op)
        return 0;
    switch (op->type) {
    case V_STR: return 1;
    case V_ARR:
    case V_SET:
    case V_OBJ: return op->len;
    default: return 0; /* OPA yields no matches for other types */
    }
}

/* The i-th (cidr, index) pair of an operand: a string is its own index;
 * arrays index by position, sets by element, objects by key. An element
 * is a CIDR string or an array whose first element is the CIDR. */
static bi_status cm_item(bi_ctx *ctx, const val *op, int opno, uint32_t i, const val **cidr,
                         const val **index)
{
    const val *elem;
    switch (op->type) {
    case V_STR: *cidr = *index = op; return BI_OK;
    case V_ARR:
        elem = op->u.a[i];
        *index = v_int(ctx->arena, i);
        if (!*index)
            return bi_oom(ctx);
        break;
    case V_SET:
        elem = op->u.a[i];
        *index = elem;
        break;
    default: /* V_OBJ */
        elem = op->u.o.v[i];
        *index = op->u.o.k[i];
        break;
    }
    if (elem->type == V_STR) {
        *cidr = elem;
        return BI_OK;
    }
    if (elem->type == V_ARR && elem->len > 0) {
        *cidr = elem->u.a[0];
        return BI_OK;
    }
    return bi_fail(ctx, POL_EVAL_BUILTIN,
                   "net.cidr_contains_matches: operand %d: element must be string or non-empty array", opno);
}

bi_status bi_net_cidr_contains_matches(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "net.cidr_contains_matches";
    vbuild vb;
    vb_init(&vb, ctx->arena);
    uint32_t n1 = cm_count(args[0]), n2 = cm_count(args[1]);
    for (uint32_t i = 0; i < n1; i++) {
        const val *c1 = NULL, *i1 = NULL;
        bi_status st = cm_item(ctx, args[0], 1, i, &c1, &i1);
        if (st != BI_OK)
            return st;
        for (uint32_t j = 0; j < n2; j++) {
            const val *c2 = NULL, *i2 = NULL;
            bool hit;
            st = cm_item(ctx, args[1], 2, j, &c2, &i2);
            if (st == BI_OK)
                st = cidr_contains(ctx, name, c1, c2, &hit);
            if (st != BI_OK)
                return st;
            if (hit) {
                vbuild pair;
                vb_init(&pair, ctx->arena);
                vb_push(&pair, i1);
                vb_push(&pair, i2);
                const val *p = vb_finish_array(&pair);
                if (!p || !vb_push(&vb, p))
                    return bi_oom(ctx);
            }
        }
    }
    *out = vb_finish_set(&vb);
    return *out ? BI_OK : bi_oom(ctx);
}

/* ---- net.cidr_merge ------------------------------------------------------
 *
 * Every network becomes an address range in the 128-bit space where IPv4
 * lives at ::ffff:0:0/96 (as OPA does), ranges are sorted by (last,
 * first) and fused when adjacent or overlapping, and each fused range is
 * written as its unique minimal list of CIDR blocks. A range that fused
 * with nothing is written as its original network, so a bare IPv4 address
 * keeps Go's classful default mask and its host bits ("10.1.2.3" ->
 * "10.1.2.3/8"), which is what OPA returns.
 */

typedef struct mrange {
    u128 first, last;
    ipnet net;
    bool fused;
} mrange;

static u128 u128_from(const uint8_t b[16])
{
    u128 r = {0, 0};
    for (int i = 0; i < 8; i++) {
        r.hi = r.hi << 8 | b[i];
        r.lo = r.lo << 8 | b[8 + i];
    }
    return r;
}

static void u128_to(u128 x, uint8_t b[16])
{
    for (int i = 7; i >= 0; i--) {
        b[i] = (uint8_t)x.hi;
        b[8 + i] = (uint8_t)x.lo;
        x.hi >>= 8;
        x.lo >>= 8;
    }
}

static int u128_cmp(u128 a, u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

/* OPA's GetPreviousIP: never goes below :: or ::ffff:0.0.0.0. */
static u128 u128_prev(u128 x)
{
    if ((x.hi == 0 && x.lo == 0) || (x.hi == 0 && x.lo == (uint64_t)0xffff << 32))
        return x;
    if (x.lo == 0)
        x.hi--;
    x.lo--;
    return x;
}

/* Mask with the low k bits set (0 <= k <= 128). */
static u128 u128_low_bits(int k)
{
    u128 r;
    r.lo = k >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << k) - 1);
    r.hi = k >= 128 ? ~(uint64_t)0 : (k > 64 ? (((uint64_t)1 << (k - 64)) - 1) : 0);
    return r;
}

static int u128_ctz(u128 x)
{
    if (x.lo)
        return __builtin_ctzll(x.lo);
    if (x.hi)
        return 64 + __builtin_ctzll(x.hi);
    return 128;
}

/* Go's IP.DefaultMask: the classful mask of an IPv4 address. */
static ipaddr default_mask(const ipaddr *v4)
{
    int ones = v4->b[0] < 0x80 ? 8 : (v4->b[0] < 0xc0 ? 16 : 24);
    return cidr_mask(ones, 32);
}

static bi_status merge_network(bi_ctx *ctx, const val *e, mrange *r)
{
    static const char name[] = "net.cidr_merge";
    ipaddr ip, v4;
    if (!nt_is_str(e))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: element must be string", name);
    if (parse_ip(e->u.s, e->len, &ip)) {
        if (!ip_to4(&ip, &v4))
            return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: IPv6 invalid: needs prefix length", name);
        r->net.ip = ip; /* unmasked, as OPA keeps it */
        r->net.mask = default_mask(&v4);
    } else if (!parse_cidr(e->u.s, e->len, NULL, &r->net)) {
        return fail_invalid_cidr(ctx, name, e);
    }
    uint8_t b[16];
    ipaddr first = ip_mask(&r->net.ip, &r->net.mask);
    if (first.len == 4) {
        memcpy(b, v4_in_v6_prefix, 12);
        memcpy(b + 12, first.b, 4);
    } else {
        memcpy(b, first.b, 16);
    }
    r->first = u128_from(b);
    int host = r->net.mask.len * 8 - simple_mask_len(&r->net.mask);
    u128 h = u128_low_bits(host);
    r->last.hi = r->first.hi | h.hi;
    r->last.lo = r->first.lo | h.lo;
    r->fused = false;
    return BI_OK;
}

static int mrange_cmp(const void *pa, const void *pb)
{
    const mrange *a = pa, *b = pb;
    int c = u128_cmp(a->last, b->last);
    return c ? c : u128_cmp(a->first, b->first);
}

/* Writes [first, last] as its minimal CIDR blocks into the set builder. */
static bi_status merge_emit_range(bi_ctx *ctx, u128 first, u128 last, vbuild *vb)
{
    u128 cur = first;
    for (;;) {
        int k = u128_ctz(cur);
        u128 end;
        for (;; k--) {
            u128 h = u128_low_bits(k);
            end.hi = cur.hi | h.hi;
            end.lo = cur.lo | h.lo;
            if (u128_cmp(end, last) <= 0)
                break;
        }
        ipnet n;
        memset(&n, 0, sizeof n);
        u128_to(cur, n.ip.b);
        n.ip.len = 16;
        /* A v4-mapped block is aligned to at most 2^32, so k <= 32 here. */
        n.mask = u128_is_v4(cur) ? cidr_mask(32 - k, 32) : cidr_mask(128 - k, 128);
        const val *s;
        if (out_net_text(ctx, &n, NULL, &s) != BI_OK || !vb_push(vb, s))
            return bi_oom(ctx);
        if (u128_cmp(end, last) >= 0)
            return BI_OK;
        cur = end;
        if (++cur.lo == 0)
            cur.hi++;
    }
}

bi_status bi_net_cidr_merge(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *op = args[0];
    if (!op || (op->type != V_ARR && op->type != V_SET))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "net.cidr_merge: operand must be an array");
    uint32_t n = op->len;
    vbuild vb;
    vb_init(&vb, ctx->arena);
    if (n == 0) {
        *out = vb_finish_set(&vb);
        return *out ? BI_OK : bi_oom(ctx);
    }
    mrange *r = arena_alloc(ctx->arena, sizeof *r * n);
    if (!r)
        return bi_oom(ctx);
    for (uint32_t i = 0; i < n; i++) {
        bi_status st = merge_network(ctx, op->u.a[i], &r[i]);
        if (st != BI_OK)
            return st;
    }
    pol_sort(r, n, sizeof *r, mrange_cmp);
    /* Fuse from the end: with ranges ordered by last address, a range can
     * only touch its predecessor (anything earlier ends before that). */
    uint32_t live = n;
    for (uint32_t i = n - 1; i > 0; i--) {
        if (u128_cmp(u128_prev(r[i].first), r[i - 1].last) <= 0) {
            if (u128_cmp(r[i].first, r[i - 1].first) < 0)
                r[i - 1].first = r[i].first;
            r[i - 1].last = r[i].last;
            r[i - 1].fused = true;
            memmove(&r[i], &r[i + 1], sizeof *r * (live - i - 1));
            live--;
        }
    }
    for (uint32_t i = 0; i < live; i++) {
        const val *s;
        bi_status st = BI_OK;
        if (!r[i].fused) {
            if (out_net_text(ctx, &r[i].net, NULL, &s) != BI_OK || !vb_push(&vb, s))
                return bi_oom(ctx);
        } else {
            st = merge_emit_range(ctx, r[i].first, r[i].last, &vb);
        }
        if (st != BI_OK)
            return st;
    }
    *out = vb_finish_set(&vb);
    return *out ? BI_OK : bi_oom(ctx);
}

/* ---- net.lookup_ip_addr -------------------------------------------------- */

/* Resolves a host name with getaddrinfo (blocking I/O; libc allocates the
 * result list, freed here). Returns the set of addresses as Go prints
 * them, with "%zone" for scoped IPv6 addresses. */
bi_status bi_net_lookup_ip_addr(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "net.lookup_ip_addr";
    const val *h = args[0];
    if (!nt_is_str(h))
        return bi_type_fail(ctx, name, 1, "string", h);
    if (h->len == 0 || memchr(h->u.s, 0, h->len) || h->len > 1024)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: lookup %.*s: no such host", name, (int)h->len, h->u.s);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(h->u.s, NULL, &hints, &res);
    if (rc != 0) {
        const char *why = (rc == EAI_NONAME
#ifdef EAI_NODATA
                           || rc == EAI_NODATA
#endif
                           )
                              ? "no such host"
                              : gai_strerror(rc);
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: lookup %.*s: %s", name, (int)h->len, h->u.s, why);
    }
    vbuild vb;
    vb_init(&vb, ctx->arena);
    bool oom = false;
    for (struct addrinfo *ai = res; ai && !oom; ai = ai->ai_next) {
        ipaddr ip;
        unsigned scope = 0;
        memset(&ip, 0, sizeof ip);
        if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
            const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)ai->ai_addr;
            memcpy(ip.b, &sa->sin_addr, 4);
            ip.len = 4;
        } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
            const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)(const void *)ai->ai_addr;
            memcpy(ip.b, &sa->sin6_addr, 16);
            ip.len = 16;
            scope = sa->sin6_scope_id;
        } else {
            continue;
        }
        char buf[96];
        sbuf sb;
        sb_init(&sb, buf, sizeof buf);
        ip_write(&sb, &ip);
        if (scope) {
            char ifname[IF_NAMESIZE + 1], tmp[24];
            sb_putc(&sb, '%');
            if (if_indextoname(scope, ifname)) {
                sb_puts(&sb, ifname);
            } else {
                int k = snprintf(tmp, sizeof tmp, "%u", scope);
                sb_put(&sb, tmp, (size_t)k);
            }
        }
        const val *s = v_str(ctx->arena, buf, sb.len < sizeof buf ? sb.len : sizeof buf);
        oom = !s || !vb_push(&vb, s);
    }
    freeaddrinfo(res);
    if (oom)
        return bi_oom(ctx);
    *out = vb_finish_set(&vb);
    return *out ? BI_OK : bi_oom(ctx);
}

/* ---- http.send ----------------------------------------------------------
 *
 * libpolicy evaluates in-process on the request path and makes no network
 * requests: http.send validates its request object exactly as OPA does
 * (so policies get OPA's errors for malformed requests, and tests can mock
 * it with `with http.send as ...`), then fails with a builtin error. */

static const char *const http_keys[] = {
    "body",
    "cache",
    "cache_ignored_headers",
    "caching_mode",
    "enable_redirect",
    "force_cache",
    "force_cache_duration_seconds",
    "force_json_decode",
    "force_yaml_decode",
    "headers",
    "max_retry_attempts",
    "method",
    "raise_error",
    "raw_body",
    "timeout",
    "tls_ca_cert",
    "tls_ca_cert_env_variable",
    "tls_ca_cert_file",
    "tls_client_cert",
    "tls_client_cert_env_variable",
    "tls_client_cert_file",
    "tls_client_key",
    "tls_client_key_env_variable",
    "tls_client_key_file",
    "tls_insecure_skip_verify",
    "tls_server_name",
    "tls_use_system_certs",
    "url",
};

static bool http_key_known(const val *k)
{
    for (size_t i = 0; i < sizeof http_keys / sizeof http_keys[0]; i++)
        if (k->type == V_STR && strlen(http_keys[i]) == k->len && memcmp(http_keys[i], k->u.s, k->len) == 0)
            return true;
    return false;
}

bi_status bi_http_send(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)out;
    const val *req = args[0];
    if (req->type != V_OBJ)
        return bi_type_fail(ctx, "http.send", 1, "object", req);
    /* OPA lists the offending keys as a Rego set, e.g. {"bad_key"} */
    vbuild bad;
    vb_init(&bad, ctx->arena);
    for (uint32_t i = 0; i < req->len; i++)
        if (!http_key_known(req->u.o.k[i]) && !vb_push(&bad, req->u.o.k[i]))
            return bi_oom(ctx);
    char text[256];
    sbuf sb;
    if (bad.n) {
        const val *set = vb_finish_set(&bad);
        if (!set)
            return bi_oom(ctx);
        sb_init(&sb, text, sizeof text);
        rego_write(&sb, set);
        text[sb.len < sizeof text ? sb.len : sizeof text - 1] = 0;
        return bi_fail(ctx, POL_EVAL_TYPE, "http.send: invalid request parameters(s): %s", text);
    }
    vbuild missing;
    vb_init(&missing, ctx->arena);
    const char *required[] = {"method", "url"};
    for (size_t i = 0; i < 2; i++)
        if (!val_obj_get_str(req, required[i], strlen(required[i])) &&
            !vb_push(&missing, v_cstr(ctx->arena, required[i])))
            return bi_oom(ctx);
    if (missing.n) {
        const val *set = vb_finish_set(&missing);
        if (!set)
            return bi_oom(ctx);
        sb_init(&sb, text, sizeof text);
        rego_write(&sb, set);
        text[sb.len < sizeof text ? sb.len : sizeof text - 1] = 0;
        return bi_fail(ctx, POL_EVAL_TYPE, "http.send: missing required request parameters(s): %s", text);
    }
    return bi_fail(ctx, POL_EVAL_BUILTIN,
                   "http.send: network requests are not available in libpolicy (mock http.send with `with`)");
}
