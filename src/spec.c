/* spec.c -- sweep specs: YAML (libyaml document API) -> checked axes -> runs.
 * The format and every rule below are in docs/SPEC.md.
 *
 * Parsing goes top-level keys -> method -> seeds -> parameters -> zip ->
 * dimensions -> run count -> every run through cfg_validate. Each step
 * reports the first problem as "PATH:LINE:COL: message" and the constructor
 * frees what it built (spec_free handles a half-built spec). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include <gsl/gsl_cdf.h>

#include "rng.h"
#include "spec.h"

#define SPEC_MAX_RUNS 100000000LL  /* grid runs, and run_count x seeds */
#define SPEC_MAX_CONFIGS 1000000L  /* random: run_count */
#define SPEC_MAX_VALUES 1000000L   /* values per axis (lists, num, seeds) */
#define SPEC_MAX_AXES 128          /* > cfg_nfields + temperature + seeds */
/* Random search: configuration c draws from
 * rng_stream(rng_hash(sampling_seed, c), SPEC_RNG_PURPOSE). Kept apart from
 * the RNG_* purposes of rng.h; part of the reproducibility contract. */
#define SPEC_RNG_PURPOSE 100

/* The derived setting: lr = temperature * batch. cfg_set parses it (into the
 * lr slot of a scratch cfg), so its messages match the real settings'. */
static const cfg_field temp_field = {"temperature", CFG_REAL, offsetof(cfg, lr), 0, "", NULL, 0, 1e300, 1,
                                     "optim", "", "SGD temperature lr/batch"};

typedef union {
    int i;     /* CFG_INT, CFG_BOOL, CFG_ENUM */
    long l;    /* CFG_LONG */
    int64_t q; /* CFG_I64 */
    double d;  /* CFG_REAL (and temperature) */
} spec_val;

typedef struct {
    char name[64];
    int line, col;
} spec_key;

/* The public spec plus what only this file needs. spec * and spec_impl *
 * convert because pub is the first member. */
typedef struct {
    spec pub;
    const cfg_field **field; /* [n_axes]: the setting swept, or &temp_field */
    spec_val **val;          /* [n_axes][axes[a].n]: parsed values (NULL for ranges, STR) */
    int seeds_axis;          /* the axis made by top-level `seeds`, or -1 */
    int temp_given;          /* temperature fixed or swept */
    double temp;             /* fixed temperature */
    long n_configs;          /* random: run_count */
    long n_seeds;            /* random: runs per configuration (seeds axis size, or 1) */
    int n_groups;            /* random: independent draws (axis.dim numbers them) */
    spec_key *keys;          /* every key under parameters, and seeds as "seed" */
    int n_keys;
} spec_impl;

/* A repeated list value, reported only once zip groups are known (a zip
 * member may repeat values as long as the zipped tuples differ). */
typedef struct {
    char axis[64];
    const yaml_node_t *node;
    int item, first;
} dup_note;

/* Parse state. */
typedef struct {
    const char *name; /* path for messages */
    yaml_document_t *doc;
    spec_impl *sp;
    sgd_err *e;
    dup_note dups[SPEC_MAX_AXES];
    int n_dups;
} pctx;

/* ------------------------------------------------------------- SHA-256 */

/* FIPS 180-4, section 6.2. */
static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* One 64-byte block into the state h[8]. */
static void sha256_block(uint32_t h[8], const unsigned char *b)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)b[4 * t] << 24 | (uint32_t)b[4 * t + 1] << 16 | (uint32_t)b[4 * t + 2] << 8 | b[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t t1 = hh + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[t] + w[t];
        uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c));
        hh = g, g = f, f = e, e = d + t1, d = c, c = bb, bb = a, a = t1 + t2;
    }
    h[0] += a, h[1] += bb, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void spec_sha256(const void *data, size_t len, char hex[65])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    const unsigned char *p = data;
    size_t n = len;
    for (; n >= 64; p += 64, n -= 64)
        sha256_block(h, p);
    /* padding: 0x80, zeros, the message length in bits (big-endian, 64 bits) */
    unsigned char tail[128] = {0};
    if (n)
        memcpy(tail, p, n);
    tail[n] = 0x80;
    size_t tl = n + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha256_block(h, tail);
    if (tl == 128)
        sha256_block(h, tail + 64);
    for (int i = 0; i < 8; i++)
        snprintf(hex + 8 * i, 9, "%08" PRIx32, h[i]);
}

/* ------------------------------------------------------------- helpers */

static int perr(const pctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(const pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = n ? (int)n->start_mark.line + 1 : 1, col = n ? (int)n->start_mark.column + 1 : 1;
    return sgd_fail(c->e, SGD_EUSAGE, "%s:%d:%d: %s", c->name, line, col, msg);
}

/* "PATH:LINE:COL: key", the `who` of cfg_set messages */
static void who_at(const pctx *c, const yaml_node_t *n, const char *key, char *who, size_t size)
{
    snprintf(who, size, "%s:%d:%d: %s", c->name, (int)n->start_mark.line + 1, (int)n->start_mark.column + 1, key);
}

static yaml_node_t *node(const pctx *c, int id) { return yaml_document_get_node(c->doc, id); }
static const char *sval(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static int is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    const char *s = sval(n);
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static const char *kind(const yaml_node_t *n)
{
    return n->type == YAML_MAPPING_NODE ? "a mapping" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a value";
}

/* Closest setting name (or "temperature") within distance 3, else NULL. */
static const char *suggest_setting(const char *name)
{
    const char *best = NULL;
    int bestd = 4;
    for (int i = 0; i <= cfg_nfields; i++) {
        const char *b = i < cfg_nfields ? cfg_fields[i].name : temp_field.name;
        int d = cfg_edit_distance(name, b);
        if (d < bestd)
            bestd = d, best = b;
    }
    return best;
}

static const char *const top_keys[] = {"name", "description", "method", "run_count", "sampling_seed",
                                       "seeds", "parameters", "zip", NULL};

static const char *suggest_top(const char *name)
{
    const char *best = NULL;
    int bestd = 4;
    for (int i = 0; top_keys[i]; i++) {
        int d = cfg_edit_distance(name, top_keys[i]);
        if (d < bestd)
            bestd = d, best = top_keys[i];
    }
    return best;
}

/* Every key of mapping n is a non-empty scalar and appears once. */
static int check_map(const pctx *c, const yaml_node_t *n, const char *what)
{
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key);
        if (k->type != YAML_SCALAR_NODE)
            return perr(c, k, "%s: keys must be names, not %s", what, kind(k));
        if (is_null(k))
            return perr(c, k, "%s: empty key", what);
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k0 = node(c, q->key);
            if (!strcmp(sval(k0), sval(k)))
                return perr(c, k, "duplicate key '%.80s' (first given at line %d)", sval(k),
                            (int)k0->start_mark.line + 1);
        }
    }
    return 0;
}

/* A whole-string number: integral (is_int) or any finite real. */
static int parse_real(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_count(const char *s, long lo, long hi, long *out)
{
    double d;
    if (parse_real(s, &d) || d != floor(d) || d < (double)lo || d > (double)hi)
        return -1;
    *out = (long)d;
    return 0;
}

/* Value of field f in s, and the reverse. */
static spec_val field_get(const cfg *s, const cfg_field *f)
{
    spec_val v;
    memset(&v, 0, sizeof v);
    const char *p = (const char *)s + f->offset;
    switch (f->type) {
    case CFG_INT: case CFG_BOOL: case CFG_ENUM: memcpy(&v.i, p, sizeof v.i); break;
    case CFG_LONG: memcpy(&v.l, p, sizeof v.l); break;
    case CFG_I64: memcpy(&v.q, p, sizeof v.q); break;
    case CFG_REAL: memcpy(&v.d, p, sizeof v.d); break;
    case CFG_STR: break;
    }
    return v;
}

static void field_put(cfg *s, const cfg_field *f, spec_val v, const char *text)
{
    char *p = (char *)s + f->offset;
    switch (f->type) {
    case CFG_INT: case CFG_BOOL: case CFG_ENUM: memcpy(p, &v.i, sizeof v.i); break;
    case CFG_LONG: memcpy(p, &v.l, sizeof v.l); break;
    case CFG_I64: memcpy(p, &v.q, sizeof v.q); break;
    case CFG_REAL: memcpy(p, &v.d, sizeof v.d); break;
    case CFG_STR: snprintf(p, f->size, "%s", text); break; /* length checked by cfg_set */
    }
}

static int is_integer_type(const cfg_field *f)
{
    return f->type == CFG_INT || f->type == CFG_LONG || f->type == CFG_I64;
}

static spec_val int_val(const cfg_field *f, long long v)
{
    spec_val u;
    memset(&u, 0, sizeof u);
    if (f->type == CFG_INT)
        u.i = (int)v;
    else if (f->type == CFG_LONG)
        u.l = (long)v;
    else
        u.q = (int64_t)v;
    return u;
}

/* The shortest of %.15g, %.16g, %.17g that reads back as v: exact through
 * cfg_set's strtod, and 0.1 rather than 0.10000000000000001 in labels. */
static void fmt_real(double v, char *buf, size_t n)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* ------------------------------------------------------------- axes */

static int oom(const pctx *c) { return sgd_fail(c->e, SGD_ENOMEM, "%s: out of memory", c->name); }

/* A new axis for `key` (position of key node k) with room for n values. */
static int axis_new(pctx *c, const char *key, const yaml_node_t *k, const cfg_field *f, long n, int *out)
{
    spec_impl *s = c->sp;
    spec *p = &s->pub;
    if (p->n_axes >= SPEC_MAX_AXES)
        return perr(c, k, "too many axes");
    int a = p->n_axes++;
    spec_axis *ax = &p->axes[a];
    memset(ax, 0, sizeof *ax);
    snprintf(ax->name, sizeof ax->name, "%s", key);
    ax->line = (int)k->start_mark.line + 1;
    ax->col = (int)k->start_mark.column + 1;
    ax->dim = -1;
    s->field[a] = f;
    if (n > 0) {
        ax->values = calloc((size_t)n, sizeof *ax->values);
        s->val[a] = calloc((size_t)n, sizeof *s->val[a]);
        if (!ax->values || !s->val[a])
            return oom(c);
    }
    *out = a;
    return 0;
}

/* The key an axis came from: its setting, or `seeds`. */
static const char *axis_key(const spec_impl *s, int a) { return a == s->seeds_axis ? "seeds" : s->pub.axes[a].name; }

/* Parse text (at node n) into value k of axis a; the error names the key. */
static int axis_set(pctx *c, int a, int k, const char *text, const yaml_node_t *n)
{
    spec_impl *s = c->sp;
    spec_axis *ax = &s->pub.axes[a];
    cfg scratch;
    char who[320];
    who_at(c, n, axis_key(s, a), who, sizeof who);
    cfg_defaults(&scratch);
    sgd_err e1 = {0};
    if (cfg_set(&scratch, s->field[a], text, who, &e1))
        return sgd_fail(c->e, e1.code, "%s", e1.msg);
    s->val[a][k] = field_get(&scratch, s->field[a]);
    ax->values[k] = dup_text(text);
    if (!ax->values[k])
        return oom(c);
    ax->n = k + 1;
    return 0;
}

typedef struct {
    int64_t i;
    double d;
    const char *s;
    int idx;
} dup_key;

static int cmp_i(const void *x, const void *y)
{
    const dup_key *a = x, *b = y;
    return a->i < b->i ? -1 : a->i > b->i ? 1 : a->idx - b->idx;
}
static int cmp_d(const void *x, const void *y)
{
    const dup_key *a = x, *b = y;
    return a->d < b->d ? -1 : a->d > b->d ? 1 : a->idx - b->idx;
}
static int cmp_s(const void *x, const void *y)
{
    const dup_key *a = x, *b = y;
    int r = strcmp(a->s, b->s);
    return r ? r : a->idx - b->idx;
}

static int dup_eq(cfg_type t, const dup_key *a, const dup_key *b)
{
    return t == CFG_REAL ? a->d == b->d : t == CFG_STR ? !strcmp(a->s, b->s) : a->i == b->i;
}

/* The first list item (in list order) equal to an earlier one, or -1; *first
 * gets that earlier item. Sorting keeps this O(n log n) for long lists. */
static int find_duplicate(const spec_impl *s, int a, int *first, int *oomf)
{
    const spec_axis *ax = &s->pub.axes[a];
    const cfg_field *f = s->field[a];
    int n = ax->n, hit = -1;
    *oomf = 0;
    if (n < 2)
        return -1;
    dup_key *k = malloc((size_t)n * sizeof *k);
    if (!k)
        return *oomf = 1, -1;
    for (int j = 0; j < n; j++) {
        spec_val v = s->val[a][j];
        k[j].idx = j;
        k[j].s = ax->values[j];
        k[j].d = v.d;
        k[j].i = f->type == CFG_LONG ? v.l : f->type == CFG_I64 ? v.q : v.i;
    }
    qsort(k, (size_t)n, sizeof *k, f->type == CFG_REAL ? cmp_d : f->type == CFG_STR ? cmp_s : cmp_i);
    /* runs of equal values, each sorted by list position: the second member
     * of a run is its earliest repetition */
    for (int j = 0; j < n;) {
        int r = j + 1;
        while (r < n && dup_eq(f->type, &k[r], &k[j]))
            r++;
        if (r - j > 1 && (hit < 0 || k[j + 1].idx < hit))
            hit = k[j + 1].idx, *first = k[j].idx;
        j = r;
    }
    free(k);
    return hit;
}

/* A values list (sequence node v) as axis a. */
static int parse_values(pctx *c, int a, const yaml_node_t *v)
{
    const char *key = axis_key(c->sp, a);
    int n = (int)(v->data.sequence.items.top - v->data.sequence.items.start);
    for (int j = 0; j < n; j++) {
        yaml_node_t *it = node(c, v->data.sequence.items.start[j]);
        if (it->type != YAML_SCALAR_NODE)
            return perr(c, it, "%s: list items must be single values, not %s", key, kind(it));
        if (is_null(it))
            return perr(c, it, "%s: empty list item", key);
        if (axis_set(c, a, j, sval(it), it))
            return c->e->code;
    }
    int first, oomf, d = find_duplicate(c->sp, a, &first, &oomf);
    if (oomf)
        return oom(c);
    if (d >= 0 && c->n_dups < SPEC_MAX_AXES) {
        dup_note *dn = &c->dups[c->n_dups++];
        snprintf(dn->axis, sizeof dn->axis, "%s", key);
        dn->node = node(c, v->data.sequence.items.start[d]);
        dn->item = d, dn->first = first;
    }
    return 0;
}

/* Repeated values: an error in an axis of its own; in a zip group only when
 * a whole tuple repeats. */
static int check_duplicates(pctx *c, const int *group, int members[][16], const int *n_members)
{
    spec_impl *s = c->sp;
    for (int k = 0; k < c->n_dups; k++) {
        const dup_note *dn = &c->dups[k];
        int a = -1;
        for (int b = 0; b < s->pub.n_axes; b++)
            if (!strcmp(s->pub.axes[b].name, dn->axis))
                a = b;
        if (a < 0 || group[a] < 0) /* (seeds: [...] is the axis `seed`) */
            return perr(c, dn->node, "%s: value '%.60s' is already in the list (item %d)", dn->axis,
                        sval(dn->node), dn->first + 1);
        /* the group repeats a tuple only if every member repeats somewhere */
        const int g = group[a], nm = n_members[g], n = s->pub.axes[members[g][0]].n;
        int all = 1;
        for (int m = 0; m < nm; m++) {
            int has = 0;
            for (int q = 0; q < c->n_dups; q++)
                has |= !strcmp(c->dups[q].axis, s->pub.axes[members[g][m]].name);
            all &= has;
        }
        if (!all || n > 20000)
            continue;
        for (int i = 1; i < n; i++)
            for (int j = 0; j < i; j++) {
                int same = 1;
                for (int m = 0; m < nm && same; m++) {
                    const int b = members[g][m];
                    const cfg_type t = s->field[b]->type;
                    const spec_val x = s->val[b][i], y = s->val[b][j];
                    same = t == CFG_REAL ? x.d == y.d
                           : t == CFG_STR ? !strcmp(s->pub.axes[b].values[i], s->pub.axes[b].values[j])
                           : t == CFG_LONG ? x.l == y.l
                           : t == CFG_I64 ? x.q == y.q
                                          : x.i == y.i;
                }
                if (same) {
                    const spec_axis *a0 = &s->pub.axes[members[g][0]];
                    return sgd_fail(c->e, SGD_EUSAGE,
                                    "%s:%d:%d: zip: item %d of the group of %s repeats item %d in every member",
                                    c->name, a0->line, a0->col, i + 1, a0->name, j + 1);
                }
            }
    }
    return 0;
}

/* ------------------------------------------------------------- parameters */

typedef struct {
    const yaml_node_t *value, *values, *min, *max, *num, *scale;
    const yaml_node_t *dist, *q, *mu, *sigma, *prob; /* W&B's keys */
    const yaml_node_t *dist_key;                     /* the key `distribution` */
} pmap;

/* W&B's distributions (docs/SPEC.md, "W&B sweep configs"). `keys` lists
 * what each takes besides `distribution`. */
typedef struct {
    const char *name;
    int dist;  /* SPEC_DIST_*, or -1 constant, -2 categorical */
    int q;     /* a q_ form: q defaults to 1 */
    int grid;  /* enumerable in a grid (as W&B) */
    const char *keys;
} wandb_dist;

static const wandb_dist wandb_dists[] = {
    {"constant", -1, 0, 1, "value"},
    {"categorical", -2, 0, 1, "values, probabilities"},
    {"int_uniform", SPEC_DIST_INT_UNIFORM, 0, 1, "min, max"},
    {"uniform", SPEC_DIST_UNIFORM, 0, 0, "min, max"},
    {"q_uniform", SPEC_DIST_UNIFORM, 1, 1, "min, max, q"},
    {"log_uniform", SPEC_DIST_LN_UNIFORM, 0, 0, "min, max"},
    {"q_log_uniform", SPEC_DIST_LN_UNIFORM, 1, 0, "min, max, q"},
    {"log_uniform_values", SPEC_DIST_LOG_UNIFORM, 0, 0, "min, max"},
    {"q_log_uniform_values", SPEC_DIST_LOG_UNIFORM, 1, 0, "min, max, q"},
    {"inv_log_uniform", SPEC_DIST_INV_LN_UNIFORM, 0, 0, "min, max"},
    {"inv_log_uniform_values", SPEC_DIST_INV_LOG_UNIFORM, 0, 0, "min, max"},
    {"normal", SPEC_DIST_NORMAL, 0, 0, "mu, sigma"},
    {"q_normal", SPEC_DIST_NORMAL, 1, 0, "mu, sigma, q"},
    {"log_normal", SPEC_DIST_LOG_NORMAL, 0, 0, "mu, sigma"},
    {"q_log_normal", SPEC_DIST_LOG_NORMAL, 1, 0, "mu, sigma, q"},
    {NULL, 0, 0, 0, NULL}};

/* Does key name appear in a ", "-separated list? */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)); p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ',' || p[n] == 0))
            return 1;
    return 0;
}

/* A number at node n (for W&B's q, mu, sigma and log bounds). */
static int node_real(pctx *c, const char *key, const char *what, const yaml_node_t *n, double *out)
{
    if (n->type != YAML_SCALAR_NODE || is_null(n) || parse_real(sval(n), out))
        return perr(c, n, "%s: %s must be a number, not '%.40s'", key, what,
                    n->type == YAML_SCALAR_NODE ? sval(n) : kind(n));
    return 0;
}

/* A range {min, max, num, scale} for setting f (key node k). */
static int parse_range(pctx *c, const char *key, const yaml_node_t *k, const yaml_node_t *map, const cfg_field *f,
                       const pmap *m)
{
    int grid = c->sp->pub.method == SPEC_GRID;
    if (f->type == CFG_BOOL || f->type == CFG_ENUM || f->type == CFG_STR)
        return perr(c, m->min ? m->min : m->max ? m->max : m->num ? m->num : m->scale,
                    "%s: min/max ranges need a numeric setting (list the choices with values: [...])", key);
    if (!m->min || !m->max)
        return perr(c, map, "%s: a range needs both min and max", key);
    if (grid && !m->num)
        return perr(c, map, "%s: a range needs num (the number of points, ends included) with method grid", key);
    if (!grid && m->num)
        return perr(c, m->num, "%s: num is not used with method random (ranges are sampled; remove num)", key);
    const yaml_node_t *ends[2] = {m->min, m->max};
    double lim[2];
    for (int j = 0; j < 2; j++) {
        const yaml_node_t *n = ends[j];
        if (n->type != YAML_SCALAR_NODE || is_null(n))
            return perr(c, n, "%s: %s must be a number", key, j ? "max" : "min");
        /* type and range of the setting, with cfg_set's message */
        cfg scratch;
        char who[320];
        sgd_err e1 = {0};
        cfg_defaults(&scratch);
        who_at(c, n, key, who, sizeof who);
        if (cfg_set(&scratch, f, sval(n), who, &e1))
            return sgd_fail(c->e, e1.code, "%s", e1.msg);
        if (parse_real(sval(n), &lim[j]))
            return perr(c, n, "%s: '%.60s' is not a number", key, sval(n));
    }
    if (lim[0] > lim[1])
        return perr(c, m->min, "%s: min %.40s is larger than max %.40s", key, sval(m->min), sval(m->max));
    int log_scale = 0;
    if (m->scale) {
        const char *sc = m->scale->type == YAML_SCALAR_NODE ? sval(m->scale) : "";
        if (!strcmp(sc, "log"))
            log_scale = 1;
        else if (strcmp(sc, "linear"))
            return perr(c, m->scale, "%s: unknown scale '%.40s' (accepted: linear, log)", key, sc);
    }
    if (log_scale && lim[0] <= 0)
        return perr(c, m->min, "%s: scale log needs min > 0 (got %.40s)", key, sval(m->min));
    long num = 0;
    if (grid) {
        if (m->num->type != YAML_SCALAR_NODE || parse_count(sval(m->num), 1, SPEC_MAX_VALUES, &num))
            return perr(c, m->num, "%s: num must be an integer from 1 to %ld (got %.40s)", key, SPEC_MAX_VALUES,
                        m->num->type == YAML_SCALAR_NODE ? sval(m->num) : kind(m->num));
        if (num > 1 && lim[0] == lim[1])
            return perr(c, m->num, "%s: min equals max, so num %ld gives %ld equal values (use value:)", key, num, num);
    }
    int a;
    if (axis_new(c, key, k, f, num, &a))
        return c->e->code;
    spec_axis *ax = &c->sp->pub.axes[a];
    ax->min = lim[0], ax->max = lim[1], ax->log_scale = log_scale;
    if (!grid)
        return 0;
    /* numpy.linspace / numpy.geomspace: v_i = start + i*step, the ends exact */
    double lo = log_scale ? log10(lim[0]) : lim[0], hi = log_scale ? log10(lim[1]) : lim[1];
    double step = num > 1 ? (hi - lo) / (double)(num - 1) : 0;
    long long prev = 0;
    for (long i = 0; i < num; i++) {
        double v = (double)i * step + lo;
        if (log_scale)
            v = pow(10.0, v);
        if (i == 0)
            v = lim[0];
        else if (i == num - 1)
            v = lim[1];
        char text[40];
        if (is_integer_type(f)) {
            long long r = llround(v);
            if (i > 0 && r == prev)
                return perr(c, map, "%s: num %ld gives duplicate integers after rounding (%lld twice); use a smaller num",
                            key, num, r);
            prev = r;
            snprintf(text, sizeof text, "%lld", r);
        } else {
            fmt_real(v, text, sizeof text);
        }
        if (axis_set(c, a, (int)i, text, k))
            return c->e->code;
    }
    if (f->type == CFG_REAL || f == &temp_field) /* a very narrow range can still repeat a double */
        for (long i = 1; i < num; i++)
            if (c->sp->val[a][i].d == c->sp->val[a][i - 1].d)
                return perr(c, map, "%s: num %ld gives duplicate values (the range is too narrow)", key, num);
    return 0;
}

/* W&B's `probabilities` for the values of axis a: random only, one per
 * value, >= 0, summing to 1 (within 1e-6); stored cumulative. */
static int parse_probabilities(pctx *c, const char *key, int a, const yaml_node_t *pv)
{
    spec_axis *ax = &c->sp->pub.axes[a];
    if (c->sp->pub.method == SPEC_GRID)
        return perr(c, pv, "%s: probabilities are for method random (W&B refuses them in a grid too)", key);
    if (pv->type != YAML_SEQUENCE_NODE)
        return perr(c, pv, "%s: probabilities must be a list of numbers, not %s", key, kind(pv));
    int n = (int)(pv->data.sequence.items.top - pv->data.sequence.items.start);
    if (n != ax->n)
        return perr(c, pv, "%s: %d probabilities for %d values", key, n, ax->n);
    ax->cum = malloc((size_t)n * sizeof *ax->cum);
    if (!ax->cum)
        return oom(c);
    double sum = 0;
    for (int j = 0; j < n; j++) {
        const yaml_node_t *it = node(c, pv->data.sequence.items.start[j]);
        double p = 0;
        if (node_real(c, key, "a probability", it, &p))
            return c->e->code;
        if (p < 0 || p > 1)
            return perr(c, it, "%s: probability %.40s is not in [0, 1]", key, sval(it));
        sum += p;
        ax->cum[j] = sum;
    }
    if (fabs(sum - 1) > 1e-6)
        return perr(c, pv, "%s: probabilities sum to %.6g, not 1", key, sum);
    for (int j = 0; j < n; j++)
        ax->cum[j] /= sum;
    ax->cum[n - 1] = 1;
    return 0;
}

/* A parameter given with W&B's `distribution` (docs/SPEC.md, "W&B sweep
 * configs"): constant and categorical are `value` and `values`; a grid
 * enumerates int_uniform and q_uniform as W&B does; method random draws the
 * rest from one uniform each. */
static int parse_dist(pctx *c, const char *key, const yaml_node_t *k, const yaml_node_t *map, const cfg_field *f,
                      pmap *m)
{
    spec_impl *s = c->sp;
    const int grid = s->pub.method == SPEC_GRID;
    const char *dn = m->dist->type == YAML_SCALAR_NODE ? sval(m->dist) : "";
    const wandb_dist *wd = NULL;
    for (const wandb_dist *w = wandb_dists; w->name; w++)
        if (!strcmp(w->name, dn))
            wd = w;
    if (!wd) {
        const char *best = NULL;
        int bestd = 4;
        for (const wandb_dist *w = wandb_dists; w->name; w++) {
            int d = cfg_edit_distance(dn, w->name);
            if (d < bestd)
                bestd = d, best = w->name;
        }
        if (!strcmp(dn, "beta") || !strcmp(dn, "q_beta"))
            return perr(c, m->dist, "%s: distribution %s is not supported (use uniform, normal, ...)", key, dn);
        if (best)
            return perr(c, m->dist, "%s: unknown distribution '%.40s' (did you mean '%s'?)", key, dn, best);
        return perr(c, m->dist, "%s: unknown distribution '%.40s' (W&B's: constant, categorical, int_uniform, uniform, "
                                "q_uniform, log_uniform, q_log_uniform, log_uniform_values, q_log_uniform_values, "
                                "inv_log_uniform, inv_log_uniform_values, normal, q_normal, log_normal, q_log_normal)",
                    key, m->dist->type == YAML_SCALAR_NODE ? dn : kind(m->dist));
    }
    /* only the keys this distribution takes */
    const struct {
        const char *name;
        const yaml_node_t *n;
    } given[] = {{"value", m->value}, {"values", m->values}, {"min", m->min},     {"max", m->max},
                 {"num", m->num},     {"scale", m->scale},   {"q", m->q},         {"mu", m->mu},
                 {"sigma", m->sigma}, {"probabilities", m->prob}};
    for (size_t j = 0; j < sizeof given / sizeof given[0]; j++)
        if (given[j].n && !in_list(wd->keys, given[j].name)) {
            /* the key's own node: the value's parent pair */
            const yaml_node_t *at = given[j].n;
            for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
                if (node(c, p->value) == given[j].n)
                    at = node(c, p->key);
            return perr(c, at, "%s: %s does not go with distribution %s (it takes %s)", key, given[j].name, wd->name,
                        wd->keys);
        }
    if (wd->dist == -1 || wd->dist == -2) { /* constant, categorical: as value / values */
        if (wd->dist == -1 && !m->value)
            return perr(c, map, "%s: distribution constant needs value", key);
        if (wd->dist == -2 && !m->values)
            return perr(c, map, "%s: distribution categorical needs values", key);
        if (m->value) {
            if (m->value->type != YAML_SCALAR_NODE || is_null(m->value))
                return perr(c, m->value, "%s: value must be a single value, not %s", key,
                            is_null(m->value) ? "nothing" : kind(m->value));
            cfg scratch;
            cfg *dst = f == &temp_field ? &scratch : &s->pub.base;
            char who[320];
            sgd_err e1 = {0};
            cfg_defaults(&scratch);
            who_at(c, m->value, key, who, sizeof who);
            if (cfg_set(dst, f, sval(m->value), who, &e1))
                return sgd_fail(c->e, e1.code, "%s", e1.msg);
            if (f == &temp_field)
                s->temp_given = 1, s->temp = scratch.lr;
            return 0;
        }
        if (m->values->type != YAML_SEQUENCE_NODE)
            return perr(c, m->values, "%s: values must be a list [a, b, ...], not %s", key, kind(m->values));
        long n = (long)(m->values->data.sequence.items.top - m->values->data.sequence.items.start);
        if (n == 0)
            return perr(c, m->values, "%s: empty values list", key);
        int a;
        if (axis_new(c, key, k, f, n, &a) || parse_values(c, a, m->values))
            return c->e->code;
        if (f == &temp_field)
            s->temp_given = 1;
        return m->prob ? parse_probabilities(c, key, a, m->prob) : 0;
    }
    if (f->type == CFG_BOOL || f->type == CFG_ENUM || f->type == CFG_STR)
        return perr(c, m->dist, "%s: distribution %s needs a numeric setting (list the choices with values: [...])",
                    key, wd->name);
    if (grid && !wd->grid)
        return perr(c, m->dist, "%s: distribution %s is drawn at random; method grid takes constant, categorical, "
                                "int_uniform and q_uniform (as W&B), or a range {min, max, num}", key, wd->name);
    const int normal = wd->dist == SPEC_DIST_NORMAL || wd->dist == SPEC_DIST_LOG_NORMAL;
    if (!normal && (!m->min || !m->max))
        return perr(c, map, "%s: a range needs both min and max", key);
    double lo = 0, hi = 0, q = wd->q ? 1 : 0, mu = 0, sigma = 1;
    if (!normal && (node_real(c, key, "min", m->min, &lo) || node_real(c, key, "max", m->max, &hi)))
        return c->e->code;
    if (!normal && lo > hi)
        return perr(c, m->min, "%s: min %.40s is larger than max %.40s", key, sval(m->min), sval(m->max));
    if (m->q && (node_real(c, key, "q", m->q, &q) || (q <= 0 && perr(c, m->q, "%s: q must be > 0", key))))
        return c->e->code;
    if (m->mu && node_real(c, key, "mu", m->mu, &mu))
        return c->e->code;
    if (m->sigma && (node_real(c, key, "sigma", m->sigma, &sigma) ||
                     (sigma <= 0 && perr(c, m->sigma, "%s: sigma must be > 0", key))))
        return c->e->code;
    if (wd->dist == SPEC_DIST_INT_UNIFORM && (lo != floor(lo) || hi != floor(hi)))
        return perr(c, lo != floor(lo) ? m->min : m->max, "%s: int_uniform needs integer min and max", key);
    if ((wd->dist == SPEC_DIST_LOG_UNIFORM || wd->dist == SPEC_DIST_INV_LOG_UNIFORM) && lo <= 0)
        return perr(c, m->min, "%s: %s needs min > 0 (got %.40s)", key, wd->name, sval(m->min));
    if (is_integer_type(f) && wd->dist != SPEC_DIST_INT_UNIFORM && !(q > 0 && q == floor(q)))
        return perr(c, m->dist, "%s: distribution %s draws reals and %s takes integers (use int_uniform, or a q_ "
                                "distribution with a whole q)", key, wd->name, key);
    /* bounds that are values of the setting must be valid values of it
     * (q_ forms round, and log_uniform's are logarithms: their draws are checked) */
    if (!normal && !wd->q && wd->dist != SPEC_DIST_LN_UNIFORM && wd->dist != SPEC_DIST_INV_LN_UNIFORM)
        for (int j = 0; j < 2; j++) {
            const yaml_node_t *n = j ? m->max : m->min;
            cfg scratch;
            char who[320];
            sgd_err e1 = {0};
            cfg_defaults(&scratch);
            who_at(c, n, key, who, sizeof who);
            if (cfg_set(&scratch, f, sval(n), who, &e1))
                return sgd_fail(c->e, e1.code, "%s", e1.msg);
        }
    if (grid) { /* W&B: int_uniform -> range(min, max + 1); q_uniform -> numpy.arange(min, max, q) */
        double cnt = wd->dist == SPEC_DIST_INT_UNIFORM ? hi - lo + 1 : ceil((hi - lo) / q);
        if (!(cnt >= 1))
            return perr(c, map, "%s: numpy.arange(%.40s, %.40s, q) is empty (W&B's q_uniform excludes max)", key,
                        sval(m->min), sval(m->max));
        if (cnt > SPEC_MAX_VALUES)
            return perr(c, map, "%s: more than %ld values", key, SPEC_MAX_VALUES);
        int a;
        if (axis_new(c, key, k, f, (long)cnt, &a))
            return c->e->code;
        snprintf(s->pub.axes[a].dist_name, sizeof s->pub.axes[a].dist_name, "%s", wd->name);
        for (long i = 0; i < (long)cnt; i++) {
            double v = wd->dist == SPEC_DIST_INT_UNIFORM ? lo + (double)i : lo + (double)i * q;
            char text[40];
            if (is_integer_type(f))
                snprintf(text, sizeof text, "%lld", llround(v));
            else
                fmt_real(v, text, sizeof text);
            if (axis_set(c, a, (int)i, text, k))
                return c->e->code;
        }
        if (f == &temp_field)
            s->temp_given = 1;
        return 0;
    }
    int a = 0;
    if (axis_new(c, key, k, f, 0, &a))
        return c->e->code;
    spec_axis *ax = &s->pub.axes[a];
    snprintf(ax->dist_name, sizeof ax->dist_name, "%s", wd->name);
    ax->dist = wd->dist;
    ax->q = q, ax->mu = mu, ax->sigma = sigma, ax->a = lo, ax->b = hi;
    ax->min = wd->dist == SPEC_DIST_LN_UNIFORM ? exp(lo) : wd->dist == SPEC_DIST_INV_LN_UNIFORM ? exp(-hi) : lo;
    ax->max = wd->dist == SPEC_DIST_LN_UNIFORM ? exp(hi) : wd->dist == SPEC_DIST_INV_LN_UNIFORM ? exp(-lo) : hi;
    if (normal)
        ax->min = ax->max = NAN;
    ax->log_scale = wd->dist == SPEC_DIST_LOG_UNIFORM || wd->dist == SPEC_DIST_LN_UNIFORM ||
                    wd->dist == SPEC_DIST_INV_LN_UNIFORM || wd->dist == SPEC_DIST_INV_LOG_UNIFORM;
    if (f == &temp_field)
        s->temp_given = 1;
    return 0;
}

static int add_key(pctx *c, const char *name, const yaml_node_t *k)
{
    spec_impl *s = c->sp;
    if (s->n_keys >= SPEC_MAX_AXES)
        return perr(c, k, "too many keys");
    spec_key *sk = &s->keys[s->n_keys++];
    snprintf(sk->name, sizeof sk->name, "%s", name);
    sk->line = (int)k->start_mark.line + 1;
    sk->col = (int)k->start_mark.column + 1;
    return 0;
}

static const spec_key *find_key(const spec_impl *s, const char *name)
{
    for (int i = 0; i < s->n_keys; i++)
        if (!strcmp(s->keys[i].name, name))
            return &s->keys[i];
    return NULL;
}

/* One entry `key: v` under parameters. */
static int parse_param(pctx *c, const yaml_node_t *k, const yaml_node_t *v)
{
    spec_impl *s = c->sp;
    const char *key = sval(k);
    const cfg_field *f = !strcmp(key, "temperature") ? &temp_field : cfg_find(key);
    if (!f || strcmp(f->name, key)) {
        const char *sg = suggest_setting(key);
        if (sg)
            return perr(c, k, "unknown setting '%.60s' (did you mean '%s'?)", key, sg);
        return perr(c, k, "unknown setting '%.60s' (the settings are listed by sgdsweep train --help)", key);
    }
    if (!strcmp(key, "seed") && s->seeds_axis >= 0)
        return perr(c, k, "seed: given both here and as seeds (line %d); use one", s->pub.axes[s->seeds_axis].line);
    if (add_key(c, key, k))
        return c->e->code;

    pmap m = {0};
    const yaml_node_t *map = v;
    if (v->type == YAML_SCALAR_NODE) {
        m.value = v; /* shorthand: key: X */
    } else if (v->type == YAML_SEQUENCE_NODE) {
        m.values = v; /* shorthand: key: [X, Y] */
    } else {
        if (check_map(c, v, key))
            return c->e->code;
        for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
            yaml_node_t *pk = node(c, p->key), *pv = node(c, p->value);
            const char *n = sval(pk);
            const yaml_node_t **slot = !strcmp(n, "value") ? &m.value : !strcmp(n, "values") ? &m.values
                                       : !strcmp(n, "min") ? &m.min : !strcmp(n, "max") ? &m.max
                                       : !strcmp(n, "num") ? &m.num : !strcmp(n, "scale") ? &m.scale
                                       : !strcmp(n, "distribution") ? &m.dist : !strcmp(n, "q") ? &m.q
                                       : !strcmp(n, "mu") ? &m.mu : !strcmp(n, "sigma") ? &m.sigma
                                       : !strcmp(n, "probabilities") ? &m.prob : NULL;
            if (!strcmp(n, "parameters"))
                return perr(c, pk, "%s: nested parameters are not supported (every setting goes directly under "
                                   "parameters:)", key);
            if (!slot)
                return perr(c, pk, "%s: unknown key '%.40s' (accepted: value, values, min, max, num, scale; "
                                   "W&B's distribution, q, mu, sigma, probabilities)", key, n);
            *slot = pv;
            if (slot == &m.dist)
                m.dist_key = pk;
        }
        if (m.dist)
            return parse_dist(c, key, k, v, f, &m);
        const yaml_node_t *wk = m.q ? m.q : m.mu ? m.mu : m.sigma;
        if (wk)
            return perr(c, wk, "%s: %s goes with a W&B distribution (distribution: q_uniform, normal, ...)", key,
                        wk == m.q ? "q" : wk == m.mu ? "mu" : "sigma");
        if (m.prob && !m.values)
            return perr(c, m.prob, "%s: probabilities go with values", key);
        if (m.value && m.values)
            return perr(c, v, "%s: give value or values, not both", key);
        const yaml_node_t *rk = m.min ? m.min : m.max ? m.max : m.num ? m.num : m.scale;
        if ((m.value || m.values) && rk)
            return perr(c, rk, "%s: min/max/num/scale make a range; they do not go with %s", key,
                        m.value ? "value" : "values");
        if (!m.value && !m.values && !rk)
            return perr(c, v, "%s: empty (give value, values, or min/max)", key);
    }

    if (m.value) {
        if (m.value->type != YAML_SCALAR_NODE)
            return perr(c, m.value, "%s: value must be a single value, not %s (a list goes in values:)", key,
                        kind(m.value));
        if (is_null(m.value))
            return perr(c, m.value == v ? k : m.value, "%s: missing value", key);
        cfg scratch;
        cfg *dst = f == &temp_field ? &scratch : &s->pub.base;
        char who[320];
        sgd_err e1 = {0};
        cfg_defaults(&scratch);
        who_at(c, m.value, key, who, sizeof who);
        if (cfg_set(dst, f, sval(m.value), who, &e1))
            return sgd_fail(c->e, e1.code, "%s", e1.msg);
        if (f == &temp_field)
            s->temp_given = 1, s->temp = scratch.lr;
        return 0;
    }
    if (m.values) {
        if (m.values->type != YAML_SEQUENCE_NODE)
            return perr(c, m.values, "%s: values must be a list [a, b, ...], not %s", key, kind(m.values));
        long n = (long)(m.values->data.sequence.items.top - m.values->data.sequence.items.start);
        if (n == 0)
            return perr(c, m.values, "%s: empty values list", key);
        if (n > SPEC_MAX_VALUES)
            return perr(c, m.values, "%s: more than %ld values", key, SPEC_MAX_VALUES);
        int a;
        if (axis_new(c, key, k, f, n, &a) || parse_values(c, a, m.values))
            return c->e->code;
        if (f == &temp_field)
            s->temp_given = 1;
        return m.prob ? parse_probabilities(c, key, a, m.prob) : 0;
    }
    if (parse_range(c, key, k, map, f, &m))
        return c->e->code;
    if (f == &temp_field)
        s->temp_given = 1;
    return 0;
}

/* ------------------------------------------------------------- top level */

typedef struct {
    const yaml_node_t *k, *v;
} kv;

typedef struct {
    kv name, description, method, run_count, sampling_seed, seeds, parameters, zip;
    kv run_cap, metric, program, command, project, entity, early_terminate; /* W&B's */
} top;

/* A line for check: what a W&B key did. */
static void note(spec *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(spec *p, const char *fmt, ...)
{
    if (p->n_notes >= (int)(sizeof p->notes / sizeof p->notes[0]))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->notes[p->n_notes++], sizeof p->notes[0], fmt, ap);
    va_end(ap);
}

/* W&B's `metric: {name, goal, target}`: the name and goal are kept
 * (spec->metric, spec->metric_goal); target is noted as unused. */
static int parse_metric(pctx *c, const kv *mt)
{
    spec *p = &c->sp->pub;
    const yaml_node_t *v = mt->v, *name = NULL, *goal = NULL, *target = NULL;
    if (v->type != YAML_MAPPING_NODE)
        return perr(c, v, "metric: expected a mapping {name, goal}, not %s", kind(v));
    if (check_map(c, v, "metric"))
        return c->e->code;
    for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
        const yaml_node_t *k = node(c, q->key);
        const char *n = sval(k);
        const yaml_node_t **slot = !strcmp(n, "name") ? &name : !strcmp(n, "goal") ? &goal
                                   : !strcmp(n, "target") ? &target : NULL;
        if (!slot)
            return perr(c, k, "metric: unknown key '%.40s' (accepted: name, goal, target)", n);
        *slot = node(c, q->value);
    }
    if (!name)
        return perr(c, v, "metric: needs name (the metric W&B would optimise, e.g. test_loss)");
    if (name->type != YAML_SCALAR_NODE || is_null(name) || strlen(sval(name)) >= sizeof p->metric)
        return perr(c, name, "metric: name must be text of at most %zu characters", sizeof p->metric - 1);
    snprintf(p->metric, sizeof p->metric, "%s", sval(name));
    p->metric_goal = -1;
    if (goal) {
        const char *g = goal->type == YAML_SCALAR_NODE ? sval(goal) : "";
        if (!strcmp(g, "maximize"))
            p->metric_goal = 1;
        else if (strcmp(g, "minimize"))
            return perr(c, goal, "metric: goal '%.40s' (accepted: minimize, maximize)",
                        goal->type == YAML_SCALAR_NODE ? g : kind(goal));
    }
    note(p, "metric: %s, %s (kept with the spec; the sweep itself runs every run in full)", p->metric,
         p->metric_goal > 0 ? "maximize" : "minimize");
    if (target)
        note(p, "metric.target: ignored (W&B stops launching runs once one reaches it; every run here is run)");
    return 0;
}

static int parse_seeds(pctx *c, const kv *sd)
{
    spec_impl *s = c->sp;
    const yaml_node_t *v = sd->v;
    const cfg_field *f = cfg_find("seed");
    int a;
    if (add_key(c, "seed", sd->k))
        return c->e->code;
    if (v->type == YAML_SCALAR_NODE) {
        long n;
        if (is_null(v) || parse_count(sval(v), 1, SPEC_MAX_VALUES, &n))
            return perr(c, v, "seeds: expected a count from 1 to %ld or a list of seeds, got '%.40s'", SPEC_MAX_VALUES,
                        sval(v));
        if (axis_new(c, "seed", sd->k, f, n, &a))
            return c->e->code;
        s->seeds_axis = a;
        for (long i = 0; i < n; i++) {
            char text[24];
            snprintf(text, sizeof text, "%ld", i);
            if (axis_set(c, a, (int)i, text, v))
                return c->e->code;
        }
    } else if (v->type == YAML_SEQUENCE_NODE) {
        long n = (long)(v->data.sequence.items.top - v->data.sequence.items.start);
        if (n == 0)
            return perr(c, v, "seeds: empty list");
        if (n > SPEC_MAX_VALUES)
            return perr(c, v, "seeds: more than %ld seeds", SPEC_MAX_VALUES);
        if (axis_new(c, "seed", sd->k, f, n, &a))
            return c->e->code;
        s->seeds_axis = a;
        if (parse_values(c, a, v))
            return c->e->code;
    } else {
        return perr(c, v, "seeds: expected a count or a list of seeds, not %s", kind(v));
    }
    return 0;
}

/* zip: [[a, b], [c, d, e]]. group[a] gets the group of each axis (-1: none);
 * members[g][..] the axes of group g in the order listed. */
static int parse_zip(pctx *c, const kv *z, int *group, int members[][16], int *n_members, int *n_groups)
{
    spec_impl *s = c->sp;
    const yaml_node_t *v = z->v;
    *n_groups = 0;
    if (v->type != YAML_SEQUENCE_NODE)
        return perr(c, v, "zip: expected a list of lists of parameter names, e.g. [[batch, temperature]]");
    for (yaml_node_item_t *gi = v->data.sequence.items.start; gi < v->data.sequence.items.top; gi++) {
        yaml_node_t *gn = node(c, *gi);
        if (gn->type != YAML_SEQUENCE_NODE)
            return perr(c, gn, "zip: each group must be a list of parameter names, not %s", kind(gn));
        int g = (*n_groups)++, nm = (int)(gn->data.sequence.items.top - gn->data.sequence.items.start);
        if (nm < 2)
            return perr(c, gn, "zip: a group needs at least two parameters");
        if (nm > 16)
            return perr(c, gn, "zip: a group holds at most 16 parameters");
        n_members[g] = 0;
        for (int j = 0; j < nm; j++) {
            yaml_node_t *it = node(c, gn->data.sequence.items.start[j]);
            if (it->type != YAML_SCALAR_NODE || is_null(it))
                return perr(c, it, "zip: expected a parameter name, not %s", kind(it));
            const char *name = sval(it);
            int a = -1;
            for (int b = 0; b < s->pub.n_axes; b++)
                if (b != s->seeds_axis && !strcmp(s->pub.axes[b].name, name))
                    a = b;
            if (a < 0) {
                if (find_key(s, name) && strcmp(name, "seed"))
                    return perr(c, it, "zip: '%.60s' has a single value; only swept parameters can be zipped", name);
                if (!strcmp(name, "seed") && s->seeds_axis >= 0)
                    return perr(c, it, "zip: 'seed' comes from seeds:, which cannot be zipped (sweep seed under parameters)");
                return perr(c, it, "zip: '%.60s' is not a parameter of this spec", name);
            }
            if (group[a] >= 0)
                return perr(c, it, "zip: '%.60s' is already in a zip group", name);
            const spec_axis *ax = &s->pub.axes[a];
            if (ax->cum)
                return perr(c, it, "zip: '%.60s' has probabilities; a zip group draws one index for all its members",
                            name);
            if (s->pub.method == SPEC_RANDOM && ax->n == 0)
                return perr(c, it, "zip: '%.60s' is a sampled range; with method random only values lists can be zipped",
                            name);
            if (j > 0) {
                const spec_axis *a0 = &s->pub.axes[members[g][0]];
                if (ax->n != a0->n)
                    return perr(c, it, "zip: %s has %d values but %s has %d; zipped parameters need equal lengths",
                                ax->name, ax->n, a0->name, a0->n);
            }
            group[a] = g;
            members[g][n_members[g]++] = a;
        }
    }
    return 0;
}

/* Sort the axes by their position in the text (insertion sort: a few dozen). */
static void sort_axes(spec_impl *s)
{
    spec *p = &s->pub;
    for (int i = 1; i < p->n_axes; i++)
        for (int j = i; j > 0; j--) {
            spec_axis *x = &p->axes[j - 1], *y = &p->axes[j];
            if (x->line < y->line || (x->line == y->line && x->col < y->col))
                break;
            spec_axis t = *x;
            *x = *y, *y = t;
            const cfg_field *tf = s->field[j - 1];
            s->field[j - 1] = s->field[j], s->field[j] = tf;
            spec_val *tv = s->val[j - 1];
            s->val[j - 1] = s->val[j], s->val[j] = tv;
            if (s->seeds_axis == j)
                s->seeds_axis = j - 1;
            else if (s->seeds_axis == j - 1)
                s->seeds_axis = j;
        }
}

/* Dimensions (grid) or draw groups (random), in order of first appearance. */
static int build_dims(pctx *c, const int *group, int members[][16], const int *n_members)
{
    spec_impl *s = c->sp;
    spec *p = &s->pub;
    int grid = p->method == SPEC_GRID;
    if (grid && p->n_axes) {
        p->dims = calloc((size_t)p->n_axes, sizeof *p->dims);
        if (!p->dims)
            return oom(c);
    }
    int nd = 0;
    for (int a = 0; a < p->n_axes; a++) {
        if (p->axes[a].dim >= 0 || (!grid && a == s->seeds_axis))
            continue;
        int d = nd++, g = group[a];
        int n_in = g >= 0 ? n_members[g] : 1;
        for (int j = 0; j < n_in; j++)
            p->axes[g >= 0 ? members[g][j] : a].dim = d;
        if (!grid)
            continue;
        spec_dim *dm = &p->dims[d];
        dm->n = p->axes[a].n;
        dm->n_axes = n_in;
        size_t used = 0;
        for (int j = 0; j < n_in; j++) {
            int b = g >= 0 ? members[g][j] : a;
            dm->axes[j] = b;
            int w = snprintf(dm->name + used, sizeof dm->name - used, "%s%s", j ? "_" : "", p->axes[b].name);
            if (w < 0 || (size_t)w >= sizeof dm->name - used)
                return perr(c, NULL, "zip: the names of a group are too long together (%zu characters at most)",
                            sizeof dm->name - 1);
            used += (size_t)w;
        }
        /* a joined name that is itself a setting (zip [data, seed] -> data_seed)
         * would clash with that setting's coordinate: mark it as a zip group */
        if (n_in > 1 && (cfg_find(dm->name) || !strcmp(dm->name, "temperature"))) {
            if (used + 4 >= sizeof dm->name)
                return perr(c, NULL, "zip: the names of a group are too long together (%zu characters at most)",
                            sizeof dm->name - 5);
            strcat(dm->name, "_zip");
        }
    }
    if (grid)
        p->n_dims = nd;
    else
        s->n_groups = nd;
    return 0;
}

/* ------------------------------------------------------------- runs */

static void apply(const spec_impl *s, int a, int k, cfg *out, double *temp)
{
    if (s->field[a] == &temp_field)
        *temp = s->val[a][k].d;
    else
        field_put(out, s->field[a], s->val[a][k], s->pub.axes[a].values[k]);
}

/* W&B's distributions (docs/SPEC.md): x from one uniform u in [0, 1). The
 * normal ones take Phi^-1 at u + 2^-33, the middle of u's cell (gsl's
 * mt19937 gives u = k / 2^32), so one uniform is one draw and never 0. */
static double wandb_draw(const spec_axis *ax, double u)
{
    double x = 0;
    switch (ax->dist) {
    case SPEC_DIST_UNIFORM: x = ax->a + u * (ax->b - ax->a); break;
    case SPEC_DIST_INT_UNIFORM: x = fmin(ax->a + floor(u * (ax->b - ax->a + 1)), ax->b); break;
    case SPEC_DIST_LOG_UNIFORM: x = exp(log(ax->a) + u * (log(ax->b) - log(ax->a))); break;
    case SPEC_DIST_LN_UNIFORM: x = exp(ax->a + u * (ax->b - ax->a)); break;
    case SPEC_DIST_INV_LN_UNIFORM: x = exp(-(ax->a + u * (ax->b - ax->a))); break;
    case SPEC_DIST_INV_LOG_UNIFORM: x = 1 / exp(log(1 / ax->b) + u * (log(1 / ax->a) - log(1 / ax->b))); break;
    case SPEC_DIST_NORMAL: x = ax->mu + ax->sigma * gsl_cdf_ugaussian_Pinv(u + 0x1p-33); break;
    case SPEC_DIST_LOG_NORMAL: x = exp(ax->mu + ax->sigma * gsl_cdf_ugaussian_Pinv(u + 0x1p-33)); break;
    }
    /* bounds that are values: exp/log rounding must not step outside them */
    if (!ax->q && (ax->dist == SPEC_DIST_UNIFORM || ax->dist == SPEC_DIST_LOG_UNIFORM ||
                   ax->dist == SPEC_DIST_INV_LOG_UNIFORM))
        x = fmin(fmax(x, ax->a), ax->b);
    if (ax->q > 0)
        x = nearbyint(x / ax->q) * ax->q; /* round half to even, as numpy.round */
    return x;
}

/* A drawn x as a value of axis a's setting, checked as train checks it
 * (draws from normal or rounded by q can leave the setting's range). The
 * message names the key; the caller adds the run. */
static int wandb_value(const spec_impl *s, int a, double x, spec_val *v, sgd_err *e)
{
    const spec_axis *ax = &s->pub.axes[a];
    const cfg_field *f = s->field[a];
    char text[40], who[320];
    if (is_integer_type(f) && fabs(x) < 9e18)
        snprintf(text, sizeof text, "%lld", llround(x));
    else
        fmt_real(x, text, sizeof text);
    snprintf(who, sizeof who, "%s:%d:%d: %s", s->pub.path, ax->line, ax->col, ax->name);
    cfg scratch;
    cfg_defaults(&scratch);
    sgd_err e1 = {0};
    if (cfg_set(&scratch, f, text, who, &e1))
        return sgd_fail(e, e1.code, "%s", e1.msg);
    *v = field_get(&scratch, f);
    return 0;
}

/* Random search: the draws of configuration ci into out (seed not set). */
static int draw_config(const spec_impl *s, long ci, cfg *out, double *temp, sgd_err *e)
{
    const spec *p = &s->pub;
    gsl_rng *r = rng_stream(rng_hash(p->sampling_seed, (uint64_t)ci), SPEC_RNG_PURPOSE);
    if (!r)
        return sgd_fail(e, SGD_ENOMEM, "%s: out of memory", p->path);
    for (int g = 0; g < s->n_groups; g++) {
        int a0 = 0;
        while (p->axes[a0].dim != g || a0 == s->seeds_axis)
            a0++;
        const spec_axis *ax = &p->axes[a0];
        const cfg_field *f = s->field[a0];
        if (ax->n > 0) { /* categorical; zip members share the index */
            int k;
            if (ax->cum) { /* W&B probabilities: the first k with cum[k] > u */
                double u = gsl_rng_uniform(r);
                for (k = 0; k < ax->n - 1 && !(ax->cum[k] > u); k++)
                    ;
            } else {
                k = (int)gsl_rng_uniform_int(r, (unsigned long)ax->n);
            }
            for (int b = a0; b < p->n_axes; b++)
                if (p->axes[b].dim == g && b != s->seeds_axis)
                    apply(s, b, k, out, temp);
            continue;
        }
        double u = gsl_rng_uniform(r); /* [0, 1) */
        spec_val v;
        if (ax->dist != SPEC_DIST_NATIVE) {
            if (wandb_value(s, a0, wandb_draw(ax, u), &v, e)) {
                gsl_rng_free(r);
                return e->code;
            }
        } else if (is_integer_type(f) && !ax->log_scale) {
            /* every integer of [min, max] equally likely */
            long long lo = llround(ax->min), hi = llround(ax->max);
            uint64_t span = (uint64_t)(hi - lo) + 1;
            long long x = lo + (long long)(u * (double)span);
            v = int_val(f, x > hi ? hi : x);
        } else {
            double x = ax->log_scale ? exp(log(ax->min) + u * (log(ax->max) - log(ax->min)))
                                     : ax->min + u * (ax->max - ax->min);
            x = fmin(fmax(x, ax->min), ax->max); /* exp/log rounding */
            if (is_integer_type(f))
                v = int_val(f, llround(x));
            else
                v.d = x;
        }
        if (f == &temp_field)
            *temp = v.d;
        else
            field_put(out, f, v, "");
    }
    gsl_rng_free(r);
    return 0;
}

int spec_run(const spec *sp, long i, cfg *out, sgd_err *e)
{
    return spec_run_temperature(sp, i, out, NULL, e);
}

int spec_run_temperature(const spec *sp, long i, cfg *out, double *temperature, sgd_err *e)
{
    const spec_impl *s = (const spec_impl *)sp;
    if (i < 0 || i >= sp->n_runs)
        return sgd_fail(e, SGD_EUSAGE, "%s: run %ld out of range (the spec has %ld runs, 0..%ld)", sp->path, i,
                        sp->n_runs, sp->n_runs - 1);
    *out = sp->base;
    double temp = s->temp;
    if (sp->method == SPEC_GRID) {
        long rest = i;
        for (int d = sp->n_dims - 1; d >= 0; d--) {
            const spec_dim *dm = &sp->dims[d];
            int k = (int)(rest % dm->n);
            rest /= dm->n;
            for (int j = 0; j < dm->n_axes; j++)
                apply(s, dm->axes[j], k, out, &temp);
        }
    } else {
        if (draw_config(s, i / s->n_seeds, out, &temp, e))
            return e->code;
        if (s->seeds_axis >= 0)
            apply(s, s->seeds_axis, (int)(i % s->n_seeds), out, &temp);
    }
    if (s->temp_given)
        out->lr = temp * (double)out->batch;
    if (temperature)
        *temperature = s->temp_given ? temp : out->lr / out->batch;
    return 0;
}

void spec_axis_describe(const spec_axis *a, char *buf, size_t size)
{
    size_t l = 0;
    buf[0] = 0;
#define PUT(...) (l += (size_t)snprintf(buf + l, l < size ? size - l : 0, __VA_ARGS__))
    if (a->n > 0) {
        PUT("%d values:", a->n);
        for (int j = 0; j < a->n && j < 12; j++)
            PUT(" %s", a->values[j]);
        if (a->n > 12)
            PUT(" ...");
        if (a->cum)
            PUT(" (probabilities %.3g", a->cum[0]);
        for (int j = 1; a->cum && j < a->n && j < 12; j++)
            PUT(" %.3g", a->cum[j] - a->cum[j - 1]);
        if (a->cum)
            PUT(")");
    } else if (a->dist == SPEC_DIST_NATIVE) {
        PUT("%s-uniform [%g, %g]", a->log_scale ? "log" : "", a->min, a->max);
    } else if (a->dist == SPEC_DIST_NORMAL || a->dist == SPEC_DIST_LOG_NORMAL) {
        PUT("%s mu %g sigma %g", a->dist_name, a->mu, a->sigma);
    } else {
        PUT("%s [%g, %g]", a->dist_name, a->a, a->b);
    }
    if (a->n == 0 && a->q > 0)
        PUT(", q %g", a->q);
#undef PUT
}

void spec_run_index(const spec *sp, long i, int *idx)
{
    for (int d = sp->n_dims - 1; d >= 0; d--) {
        idx[d] = (int)(i % sp->dims[d].n);
        i /= sp->dims[d].n;
    }
}

/* cfg_validate's message for run i, placed at the first key it mentions that
 * the spec sets (lr stands for temperature when that is given). */
static int run_error(const spec_impl *s, long i, const char *msg, sgd_err *e)
{
    const spec_key *k = NULL;
    const char *q = msg;
    while (*q && !k) {
        if (!(isalpha((unsigned char)*q) || *q == '_')) {
            q++;
            continue;
        }
        char w[64];
        size_t n = 0;
        while (isalnum((unsigned char)*q) || *q == '_') {
            if (n < sizeof w - 1)
                w[n++] = *q;
            q++;
        }
        w[n] = 0;
        k = find_key(s, w);
        if (!k && s->temp_given && !strcmp(w, "lr"))
            k = find_key(s, "temperature");
    }
    return sgd_fail(e, SGD_EUSAGE, "%s:%d:%d: %s (run %ld)", s->pub.path, k ? k->line : 1, k ? k->col : 1, msg, i);
}

static int check_run(const spec_impl *s, long i, const cfg *c, sgd_err *e)
{
    sgd_err e1 = {0};
    if (s->temp_given && !isfinite(c->lr)) {
        snprintf(e1.msg, sizeof e1.msg, "temperature: lr = temperature * batch %d is not finite", c->batch);
        return run_error(s, i, e1.msg, e);
    }
    /* the derived lr is range-checked as train --lr is: by cfg_set, on its
     * exact value (fmt_real reads back as the same double) */
    if (s->temp_given) {
        char text[40];
        cfg scratch;
        cfg_defaults(&scratch);
        fmt_real(c->lr, text, sizeof text);
        if (cfg_set(&scratch, cfg_find("lr"), text, "lr = temperature * batch", &e1))
            return run_error(s, i, e1.msg, e);
    }
    if (cfg_validate(c, "", &e1))
        return run_error(s, i, e1.msg, e);
    return 0;
}

/* Every run through cfg_validate; random search draws each configuration once. */
static int validate_runs(const spec_impl *s, sgd_err *e)
{
    const spec *p = &s->pub;
    cfg c;
    if (p->method == SPEC_GRID) {
        for (long i = 0; i < p->n_runs; i++)
            if (spec_run(p, i, &c, e) || check_run(s, i, &c, e))
                return e->code;
        return 0;
    }
    for (long ci = 0; ci < s->n_configs; ci++) {
        double temp = s->temp;
        c = p->base;
        if (draw_config(s, ci, &c, &temp, e)) {
            char msg[sizeof e->msg]; /* sgd_fail keeps a first error: restate it with the run */
            const int code = e->code;
            snprintf(msg, sizeof msg, "%s", e->msg);
            e->code = 0;
            return sgd_fail(e, code, "%s (run %ld)", msg, ci * s->n_seeds);
        }
        if (s->temp_given)
            c.lr = temp * (double)c.batch;
        for (long j = 0; j < s->n_seeds; j++) {
            if (s->seeds_axis >= 0)
                apply(s, s->seeds_axis, (int)j, &c, &temp);
            if (check_run(s, ci * s->n_seeds + j, &c, e))
                return e->code;
        }
    }
    return 0;
}

/* ------------------------------------------------------------- top level */

static int parse_doc(pctx *c, const yaml_node_t *root)
{
    spec_impl *s = c->sp;
    spec *p = &s->pub;
    if (root->type != YAML_MAPPING_NODE)
        return perr(c, root, "a spec is a mapping (method:, seeds:, parameters:, ...), not %s", kind(root));
    if (check_map(c, root, "spec"))
        return c->e->code;
    top t;
    memset(&t, 0, sizeof t);
    for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top; q++) {
        yaml_node_t *k = node(c, q->key), *v = node(c, q->value);
        const char *n = sval(k);
        kv *slot = !strcmp(n, "name") ? &t.name : !strcmp(n, "description") ? &t.description
                   : !strcmp(n, "method") ? &t.method : !strcmp(n, "run_count") ? &t.run_count
                   : !strcmp(n, "sampling_seed") ? &t.sampling_seed : !strcmp(n, "seeds") ? &t.seeds
                   : !strcmp(n, "parameters") ? &t.parameters : !strcmp(n, "zip") ? &t.zip
                   : !strcmp(n, "run_cap") ? &t.run_cap : !strcmp(n, "metric") ? &t.metric
                   : !strcmp(n, "program") ? &t.program : !strcmp(n, "command") ? &t.command
                   : !strcmp(n, "project") ? &t.project : !strcmp(n, "entity") ? &t.entity
                   : !strcmp(n, "early_terminate") ? &t.early_terminate : NULL;
        if (!slot) {
            const char *sg = suggest_top(n);
            if (sg)
                return perr(c, k, "unknown key '%.60s' (did you mean '%s'?)", n, sg);
            if (cfg_find(n) || !strcmp(n, "temperature"))
                return perr(c, k, "unknown key '%.60s' (settings go under parameters:)", n);
            return perr(c, k, "unknown key '%.60s' (accepted: name, description, method, run_count, sampling_seed, "
                              "seeds, parameters, zip; from W&B: run_cap, metric, program, command, project, entity)", n);
        }
        slot->k = k, slot->v = v;
    }
    if (t.name.v && t.name.v->type != YAML_SCALAR_NODE)
        return perr(c, t.name.v, "name: expected text, not %s", kind(t.name.v));
    if (t.description.v && t.description.v->type != YAML_SCALAR_NODE)
        return perr(c, t.description.v, "description: expected text, not %s", kind(t.description.v));

    if (t.early_terminate.k)
        return perr(c, t.early_terminate.k, "early_terminate: not supported: every run here trains to its budget "
                                            "(W&B's hyperband stops runs by their metric); remove it (stop_at: acc or "
                                            "loss ends a run when it fits)");
    /* W&B keys that name W&B's side of a sweep: accepted, unused, and said so */
    if (t.program.k)
        note(p, "program: ignored (W&B's training script; every run here is sgdsweep train with the settings under "
                "parameters)");
    if (t.command.k)
        note(p, "command: ignored (W&B's command line for the script; settings go under parameters)");
    if (t.project.k)
        note(p, "project: ignored (W&B's place for the runs; results go to the file of run -o)");
    if (t.entity.k)
        note(p, "entity: ignored (W&B's team or user; results go to the file of run -o)");
    if (t.metric.k && parse_metric(c, &t.metric))
        return c->e->code;
    p->method = SPEC_GRID;
    if (t.method.v) {
        const char *m = t.method.v->type == YAML_SCALAR_NODE ? sval(t.method.v) : "";
        if (!strcmp(m, "bayes"))
            return perr(c, t.method.v, "method: bayes is not supported: W&B's Bayesian search picks each run from "
                                       "the results of earlier runs, and a sweep here fixes every run before it "
                                       "starts; use method: random with run_cap (or run_count), or method: grid");
        if (!strcmp(m, "random"))
            p->method = SPEC_RANDOM;
        else if (strcmp(m, "grid"))
            return perr(c, t.method.v, "method: unknown value '%.40s' (accepted: grid, random)",
                        t.method.v->type == YAML_SCALAR_NODE ? m : kind(t.method.v));
    }
    if (p->method == SPEC_GRID) {
        if (t.run_count.k)
            return perr(c, t.run_count.k, "run_count: only for method random (a grid runs every combination)");
        if (t.sampling_seed.k)
            return perr(c, t.sampling_seed.k, "sampling_seed: only for method random");
    } else {
        if (t.run_count.k && t.run_cap.k)
            return perr(c, t.run_cap.k, "run_cap: give run_count (configurations) or run_cap (runs, as W&B), not both");
        if (!t.run_count.k && !t.run_cap.k)
            return perr(c, t.method.v, "method random needs run_count (the number of configurations to draw), or "
                                       "run_cap (W&B: the number of runs)");
        const yaml_node_t *v = t.run_count.v;
        if (v && (v->type != YAML_SCALAR_NODE || parse_count(sval(v), 1, SPEC_MAX_CONFIGS, &s->n_configs)))
            return perr(c, v, "run_count: expected an integer from 1 to %ld, got '%.40s'", SPEC_MAX_CONFIGS,
                        v->type == YAML_SCALAR_NODE ? sval(v) : kind(v));
        if (t.sampling_seed.k) {
            v = t.sampling_seed.v;
            const char *txt = v->type == YAML_SCALAR_NODE ? sval(v) : "";
            char *end;
            errno = 0;
            unsigned long long ss = strtoull(txt, &end, 10);
            if (!isdigit((unsigned char)txt[0]) || *end || errno)
                return perr(c, v, "sampling_seed: expected an integer from 0 to 18446744073709551615, got '%.40s'",
                            v->type == YAML_SCALAR_NODE ? txt : kind(v));
            p->sampling_seed = (uint64_t)ss;
        }
    }
    if (t.seeds.k && parse_seeds(c, &t.seeds))
        return c->e->code;
    long run_cap = 0;
    if (t.run_cap.k) {
        const yaml_node_t *v = t.run_cap.v;
        if (v->type != YAML_SCALAR_NODE || parse_count(sval(v), 1, (long)SPEC_MAX_RUNS, &run_cap))
            return perr(c, v, "run_cap: expected an integer from 1 to %lld, got '%.40s'", SPEC_MAX_RUNS,
                        v->type == YAML_SCALAR_NODE ? sval(v) : kind(v));
        if (p->method == SPEC_RANDOM) {
            /* W&B: the number of runs. Each configuration runs once per seed. */
            long ns = s->seeds_axis >= 0 ? p->axes[s->seeds_axis].n : 1;
            if (run_cap % ns)
                return perr(c, v, "run_cap: %ld runs is not a multiple of the %ld seeds (each configuration runs "
                                  "once per seed)", run_cap, ns);
            if (run_cap / ns > SPEC_MAX_CONFIGS)
                return perr(c, v, "run_cap: %ld runs is more than %ld configurations", run_cap, SPEC_MAX_CONFIGS);
            s->n_configs = run_cap / ns;
            if (ns > 1)
                note(p, "run_cap %ld: %ld runs, %ld configurations x %ld seeds (run_count %ld)", run_cap, run_cap,
                     s->n_configs, ns, s->n_configs);
            else
                note(p, "run_cap %ld: %ld runs drawn (run_count %ld)", run_cap, run_cap, s->n_configs);
        }
    }
    if (t.parameters.k) {
        const yaml_node_t *pm = t.parameters.v;
        if (pm->type != YAML_MAPPING_NODE)
            return perr(c, is_null(pm) ? t.parameters.k : pm,
                        "parameters: expected a mapping of setting names to values, not %s",
                        is_null(pm) ? "nothing" : kind(pm));
        if (check_map(c, pm, "parameters"))
            return c->e->code;
        for (yaml_node_pair_t *q = pm->data.mapping.pairs.start; q < pm->data.mapping.pairs.top; q++)
            if (parse_param(c, node(c, q->key), node(c, q->value)))
                return c->e->code;
        const spec_key *lr = find_key(s, "lr"), *tk = find_key(s, "temperature");
        if (lr && tk)
            return sgd_fail(c->e, SGD_EUSAGE,
                            "%s:%d:%d: lr: not allowed with temperature (line %d), which sets lr = temperature * batch",
                            c->name, lr->line, lr->col, tk->line);
    }
    sort_axes(s);

    int group[SPEC_MAX_AXES], members[SPEC_MAX_AXES][16], n_members[SPEC_MAX_AXES], n_groups = 0;
    for (int a = 0; a < SPEC_MAX_AXES; a++)
        group[a] = -1;
    if (t.zip.k && parse_zip(c, &t.zip, group, members, n_members, &n_groups))
        return c->e->code;
    if (check_duplicates(c, group, members, n_members))
        return c->e->code;
    if (build_dims(c, group, members, n_members))
        return c->e->code;

    if (p->method == SPEC_GRID) {
        long long n = 1;
        for (int d = 0; d < p->n_dims; d++) {
            n *= p->dims[d].n;
            if (n > SPEC_MAX_RUNS) {
                const spec_axis *ax = &p->axes[p->dims[d].axes[0]];
                return sgd_fail(c->e, SGD_EUSAGE, "%s:%d:%d: the grid has more than %lld runs (up to %s)", c->name,
                                ax->line, ax->col, SPEC_MAX_RUNS, p->dims[d].name);
            }
        }
        p->n_runs = (long)n;
        if (run_cap && run_cap < n)
            return perr(c, t.run_cap.v, "run_cap: %ld is fewer than the grid's %lld runs; a grid runs every "
                                        "combination (remove run_cap, or use method: random)", run_cap, n);
        if (run_cap)
            note(p, "run_cap %ld: at least the grid's %lld runs, so every combination runs (as in W&B)", run_cap, n);
    } else {
        s->n_seeds = s->seeds_axis >= 0 ? p->axes[s->seeds_axis].n : 1;
        long long n = (long long)s->n_configs * s->n_seeds;
        if (n > SPEC_MAX_RUNS)
            return perr(c, t.run_count.v, "run_count %ld x %ld seeds is more than %lld runs", s->n_configs, s->n_seeds,
                        SPEC_MAX_RUNS);
        p->n_runs = (long)n;
    }
    return validate_runs(s, c->e);
}

/* Line and column (1-based) of byte offset off. */
static void offset_pos(const char *text, size_t len, size_t off, int *line, int *col)
{
    *line = 1, *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n')
            ++*line, *col = 1;
        else
            ++*col;
    }
}

static int yaml_error(const pctx *c, yaml_parser_t *yp, const char *text, size_t len)
{
    if (yp->error == YAML_MEMORY_ERROR)
        return oom(c);
    int line, col;
    if (yp->error == YAML_READER_ERROR) {
        offset_pos(text, len, yp->problem_offset, &line, &col);
    } else {
        line = (int)yp->problem_mark.line + 1;
        col = (int)yp->problem_mark.column + 1;
    }
    if (yp->context)
        return sgd_fail(c->e, SGD_EUSAGE, "%s:%d:%d: YAML syntax error: %s (%s at line %d)", c->name, line, col,
                        yp->problem ? yp->problem : "unknown", yp->context, (int)yp->context_mark.line + 1);
    return sgd_fail(c->e, SGD_EUSAGE, "%s:%d:%d: YAML syntax error: %s", c->name, line, col,
                    yp->problem ? yp->problem : "unknown");
}

/* Read the events of the whole stream once, before libyaml builds a
 * document, and refuse what would make that costly: nesting deeper than
 * SPEC_MAX_DEPTH (libyaml's scanner keeps one simple-key slot per flow level
 * and scans them all at each token, and its loader is quadratic in the depth
 * too: 100,000 '[' took a minute) and more than SPEC_MAX_NODES nodes (its
 * document takes ~170 bytes a node). A syntax error is reported here, as the
 * loader would report it (same parser, same message). */
static int scan_events(const pctx *c, const char *text, size_t len)
{
    yaml_parser_t yp;
    if (!yaml_parser_initialize(&yp))
        return oom(c);
    yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
    int rc = 0, depth = 0;
    long nodes = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&yp, &ev)) {
            rc = yaml_error(c, &yp, text, len);
            break;
        }
        const yaml_event_type_t t = ev.type;
        const int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
        if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
            continue;
        }
        if (t != YAML_SCALAR_EVENT && t != YAML_ALIAS_EVENT && t != YAML_SEQUENCE_START_EVENT &&
            t != YAML_MAPPING_START_EVENT)
            continue;
        if ((t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) && ++depth > SPEC_MAX_DEPTH) {
            rc = sgd_fail(c->e, SGD_EUSAGE, "%s:%d:%d: YAML nesting deeper than %d levels (a spec needs 4)", c->name,
                          line, col, SPEC_MAX_DEPTH);
            break;
        }
        if (++nodes > SPEC_MAX_NODES) {
            rc = sgd_fail(c->e, SGD_EUSAGE, "%s:%d:%d: more than %ld YAML nodes (the limit of a spec, docs/SPEC.md)",
                          c->name, line, col, (long)SPEC_MAX_NODES);
            break;
        }
    }
    yaml_parser_delete(&yp);
    return rc;
}

int spec_parse(const char *text, size_t len, const char *name, spec **out, sgd_err *e)
{
    *out = NULL;
    spec_impl *s = calloc(1, sizeof *s);
    if (!s)
        return sgd_fail(e, SGD_ENOMEM, "%s: out of memory", name);
    spec *p = &s->pub;
    s->seeds_axis = -1;
    s->n_seeds = 1;
    cfg_defaults(&p->base);
    p->path = dup_text(name);
    p->text = malloc(len + 1);
    p->axes = calloc(SPEC_MAX_AXES, sizeof *p->axes);
    s->field = calloc(SPEC_MAX_AXES, sizeof *s->field);
    s->val = calloc(SPEC_MAX_AXES, sizeof *s->val);
    s->keys = calloc(SPEC_MAX_AXES, sizeof *s->keys);
    if (!p->path || !p->text || !p->axes || !s->field || !s->val || !s->keys) {
        spec_free(p);
        return sgd_fail(e, SGD_ENOMEM, "%s: out of memory", name);
    }
    if (len)
        memcpy(p->text, text, len);
    p->text[len] = 0;
    p->text_len = len;
    spec_sha256(p->text, len, p->sha256);

    yaml_parser_t yp;
    yaml_document_t doc, doc2;
    pctx c = {name, &doc, s, e, {{{0}, NULL, 0, 0}}, 0};
    if (len > (size_t)SPEC_MAX_TEXT) {
        spec_free(p);
        return sgd_fail(e, SGD_EUSAGE, "%s: larger than %ld bytes (the limit of a spec, docs/SPEC.md)", name,
                        (long)SPEC_MAX_TEXT);
    }
    if (scan_events(&c, p->text, len)) {
        spec_free(p);
        return e->code;
    }
    if (!yaml_parser_initialize(&yp)) {
        spec_free(p);
        return sgd_fail(e, SGD_ENOMEM, "%s: out of memory", name);
    }
    yaml_parser_set_input_string(&yp, (const unsigned char *)p->text, len);
    int rc;
    if (!yaml_parser_load(&yp, &doc)) {
        rc = yaml_error(&c, &yp, p->text, len);
    } else {
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root) {
            rc = sgd_fail(e, SGD_EUSAGE, "%s:1:1: empty spec (see docs/SPEC.md for the format)", name);
        } else if (!yaml_parser_load(&yp, &doc2)) {
            rc = yaml_error(&c, &yp, p->text, len);
        } else {
            yaml_node_t *r2 = yaml_document_get_root_node(&doc2);
            if (r2) {
                pctx c2 = {name, &doc2, s, e, {{{0}, NULL, 0, 0}}, 0};
                rc = perr(&c2, r2, "a second YAML document; a spec is one document");
            } else {
                rc = parse_doc(&c, root);
            }
            yaml_document_delete(&doc2);
        }
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&yp);
    if (rc) {
        spec_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int spec_load(const char *path, spec **out, sgd_err *e)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sgd_fail(e, SGD_EIO, "%s: cannot read (%s)", path, strerror(errno));
    /* a regular file over the limit is refused from its size, unread; a pipe
     * or device is read up to one byte past the limit */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > SPEC_MAX_TEXT) {
        fclose(f);
        return sgd_fail(e, SGD_EUSAGE, "%s: larger than %ld bytes (the limit of a spec, docs/SPEC.md)", path,
                        (long)SPEC_MAX_TEXT);
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int err = 0;
    while (buf) {
        if (len == cap) {
            if (len > (size_t)SPEC_MAX_TEXT)
                break; /* spec_parse refuses it */
            size_t ncap = cap * 2 > (size_t)SPEC_MAX_TEXT + 1 ? (size_t)SPEC_MAX_TEXT + 1 : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb)
                free(buf);
            buf = nb, cap = ncap;
            continue;
        }
        errno = 0;
        size_t want = cap - len, got = fread(buf + len, 1, want, f);
        len += got;
        if (got < want) {
            if (ferror(f))
                err = errno ? errno : EIO;
            break;
        }
    }
    fclose(f);
    if (!buf)
        return sgd_fail(e, SGD_ENOMEM, "%s: out of memory", path);
    if (err) {
        free(buf);
        return sgd_fail(e, SGD_EIO, "%s: cannot read (%s)", path, strerror(err));
    }
    int rc = spec_parse(buf, len, path, out, e);
    free(buf);
    return rc;
}

void spec_free(spec *sp)
{
    if (!sp)
        return;
    spec_impl *s = (spec_impl *)sp;
    for (int a = 0; sp->axes && a < sp->n_axes; a++) {
        for (int k = 0; sp->axes[a].values && k < sp->axes[a].n; k++)
            free(sp->axes[a].values[k]);
        free(sp->axes[a].values);
        free(sp->axes[a].cum);
        if (s->val)
            free(s->val[a]);
    }
    free(sp->axes);
    free(sp->dims);
    free(s->field);
    free(s->val);
    free(s->keys);
    free(sp->text);
    free(sp->path);
    free(s);
}
