/* The HRMS directory: three id tables (open addressing, linear probing), a role index keyed by
 * role and office, and insertion-order lists. Entries are never removed, so the pointers between
 * them (post -> office, post -> superior, post <-> holder, office -> parent) stay valid and every
 * walk is a pointer chase with no hashing. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "pravah/directory.h"

typedef struct office_e office_e;
typedef struct post_e post_e;
typedef struct officer_e officer_e;
typedef struct role_bucket_s role_bucket_t;

struct office_e {
    pv_office_t pub; /* owns id, name, kind, district; parent points at the parent's id */
    office_e *parent;
};

struct post_e {
    pv_post_t pub; /* owns id, role; office, reports_to, holder point at the others' ids */
    office_e *office;
    post_e *sup;
    officer_e *holder;
    role_bucket_t *bucket;
};

struct officer_e {
    pv_officer_t pub; /* owns id, name; post points at the post's id */
    post_e *post;
};

/* The posts of one role in one office; min is the one with the smallest id. */
struct role_bucket_s {
    char *key; /* "ROLE\x1fOFFICE" */
    post_e **posts;
    size_t n, cap;
    post_e *min;
};

typedef struct {
    const char *key; /* borrowed from the value */
    uint64_t hash;
    void *val;
} slot_t;

typedef struct {
    slot_t *slots;
    size_t cap, count; /* cap is 0 or a power of two, count <= cap / 2 */
} table_t;

typedef struct {
    void **items;
    size_t n, cap;
} list_t;

struct pv_directory_s {
    table_t offices, posts, officers, roles;
    list_t office_list, post_list, officer_list;
};

#define KEY_SEP '\x1f'

/* ---- hash table ---- */

/* FNV-1a over a, then (when b) the separator and b: the role index hashes a pair without
 * building the joined key. */
static uint64_t hash_pair(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *a; a++)
        h = (h ^ (unsigned char)*a) * 1099511628211ULL;
    if (!b)
        return h;
    h = (h ^ (unsigned char)KEY_SEP) * 1099511628211ULL;
    for (; *b; b++)
        h = (h ^ (unsigned char)*b) * 1099511628211ULL;
    return h;
}

static int key_equals(const char *key, const char *a, const char *b)
{
    if (!b)
        return strcmp(key, a) == 0;
    size_t la = strlen(a);
    return strncmp(key, a, la) == 0 && key[la] == KEY_SEP && strcmp(key + la + 1, b) == 0;
}

/* The slot holding (a, b), or the empty slot where it would go. Needs cap > 0. */
static slot_t *table_slot(const table_t *t, uint64_t h, const char *a, const char *b)
{
    size_t mask = t->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        slot_t *s = &t->slots[i];
        if (!s->key || (s->hash == h && key_equals(s->key, a, b)))
            return s;
    }
}

static void *table_get(const table_t *t, const char *a, const char *b)
{
    if (!t->cap || !a)
        return NULL;
    slot_t *s = table_slot(t, hash_pair(a, b), a, b);
    return s->key ? s->val : NULL;
}

/* Makes room for one more key, so the following table_add cannot fail. */
static int table_reserve(table_t *t)
{
    if ((t->count + 1) * 2 <= t->cap)
        return 0;
    size_t ncap = t->cap ? t->cap * 2 : 16;
    slot_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return PV_ENOMEM;
    for (size_t i = 0; i < t->cap; i++) {
        slot_t *s = &t->slots[i];
        if (!s->key)
            continue;
        size_t j = (size_t)s->hash & (ncap - 1);
        while (ns[j].key)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

/* Adds a key known to be absent; key is the stored (joined) form, a/b its parts. */
static void table_add(table_t *t, const char *key, const char *a, const char *b, void *val)
{
    uint64_t h = hash_pair(a, b);
    slot_t *s = table_slot(t, h, a, b);
    *s = (slot_t){key, h, val};
    t->count++;
}

/* ---- lists and strings ---- */

static int list_reserve(list_t *l)
{
    if (l->n < l->cap)
        return 0;
    size_t ncap = l->cap ? l->cap * 2 : 64;
    void **ni = realloc(l->items, ncap * sizeof *ni);
    if (!ni)
        return PV_ENOMEM;
    l->items = ni;
    l->cap = ncap;
    return 0;
}

static char *dup_str(const char *s)
{
    return strdup(s ? s : "");
}

static int is_set(const char *s)
{
    return s && *s;
}

static void free_str(const char *s)
{
    free((void *)s);
}

/* ---- lifecycle ---- */

/* Returns an empty directory, or NULL when out of memory. */
pv_directory_t *pv_directory_new(void)
{
    return calloc(1, sizeof(pv_directory_t));
}

static void free_roles(table_t *t)
{
    for (size_t i = 0; i < t->cap; i++) {
        role_bucket_t *b = t->slots[i].val;
        if (!t->slots[i].key)
            continue;
        free(b->key);
        free(b->posts);
        free(b);
    }
    free(t->slots);
}

/* Frees the directory and everything it owns; NULL is ignored. */
void pv_directory_free(pv_directory_t *dir)
{
    if (!dir)
        return;
    for (size_t i = 0; i < dir->office_list.n; i++) {
        office_e *o = dir->office_list.items[i];
        free_str(o->pub.id);
        free_str(o->pub.name);
        free_str(o->pub.kind);
        free_str(o->pub.district);
        free(o);
    }
    for (size_t i = 0; i < dir->post_list.n; i++) {
        post_e *p = dir->post_list.items[i];
        free_str(p->pub.id);
        free_str(p->pub.role);
        free(p);
    }
    for (size_t i = 0; i < dir->officer_list.n; i++) {
        officer_e *o = dir->officer_list.items[i];
        free_str(o->pub.id);
        free_str(o->pub.name);
        free(o);
    }
    free(dir->office_list.items);
    free(dir->post_list.items);
    free(dir->officer_list.items);
    free(dir->offices.slots);
    free(dir->posts.slots);
    free(dir->officers.slots);
    free_roles(&dir->roles);
    free(dir);
}

static office_e *office_get(const pv_directory_t *dir, const char *id)
{
    return id ? table_get(&dir->offices, id, NULL) : NULL;
}

static post_e *post_get(const pv_directory_t *dir, const char *id)
{
    return id ? table_get(&dir->posts, id, NULL) : NULL;
}

static officer_e *officer_get(const pv_directory_t *dir, const char *id)
{
    return id ? table_get(&dir->officers, id, NULL) : NULL;
}

/* Allocates an entry of `size` bytes whose first member's id is a copy of id, and files it in
 * table t and list l. Returns NULL (nothing changed) when out of memory. */
static void *entry_new(table_t *t, list_t *l, size_t size, const char *id)
{
    if (table_reserve(t) < 0 || list_reserve(l) < 0)
        return NULL;
    void *e = calloc(1, size);
    char *key = strdup(id);
    if (!e || !key) {
        free(e);
        free(key);
        return NULL;
    }
    /* All three entry types start with their public struct, whose first member is id. */
    *(const char **)e = key;
    table_add(t, key, key, NULL, e);
    l->items[l->n++] = e;
    return e;
}

/* ---- offices ---- */

/* True when office `id` is o or one of o's ancestors. */
static int office_chain_has(const office_e *o, const char *id)
{
    for (; o; o = o->parent)
        if (strcmp(o->pub.id, id) == 0)
            return 1;
    return 0;
}

/* Inserts or replaces an office. See directory.h. */
int pv_directory_put_office(pv_directory_t *dir, const char *id, const char *name, const char *kind,
                            const char *parent, const char *district)
{
    if (!dir || !is_set(id))
        return PV_EINVAL;
    if (strlen(id) > PV_DIRECTORY_ID_MAX)
        return PV_ERANGE;
    office_e *par = NULL;
    if (is_set(parent)) {
        if (!(par = office_get(dir, parent)))
            return PV_ENOENT;
        if (office_chain_has(par, id))
            return PV_EINVAL;
    }
    char *n = dup_str(name), *k = dup_str(kind), *d = dup_str(district);
    office_e *o = NULL;
    if (!n || !k || !d)
        goto nomem;
    if (!(o = office_get(dir, id)) &&
        !(o = entry_new(&dir->offices, &dir->office_list, sizeof *o, id)))
        goto nomem;
    free_str(o->pub.name);
    free_str(o->pub.kind);
    free_str(o->pub.district);
    o->pub.name = n;
    o->pub.kind = k;
    o->pub.district = d;
    o->parent = par;
    o->pub.parent = par ? par->pub.id : "";
    return 0;
nomem:
    free(n);
    free(k);
    free(d);
    return PV_ENOMEM;
}

/* ---- role index ---- */

/* The bucket for (role, office), created empty when missing; NULL when out of memory. */
static role_bucket_t *bucket_get(pv_directory_t *dir, const char *role, const char *office)
{
    role_bucket_t *b = table_get(&dir->roles, role, office);
    if (b)
        return b;
    if (table_reserve(&dir->roles) < 0 || !(b = calloc(1, sizeof *b)))
        return NULL;
    size_t lr = strlen(role), lo = strlen(office);
    if (!(b->key = malloc(lr + lo + 2))) {
        free(b);
        return NULL;
    }
    memcpy(b->key, role, lr);
    b->key[lr] = KEY_SEP;
    memcpy(b->key + lr + 1, office, lo + 1);
    table_add(&dir->roles, b->key, role, office, b);
    return b;
}

static int bucket_reserve(role_bucket_t *b)
{
    if (b->n < b->cap)
        return 0;
    size_t ncap = b->cap ? b->cap * 2 : 2;
    post_e **np = realloc(b->posts, ncap * sizeof *np);
    if (!np)
        return PV_ENOMEM;
    b->posts = np;
    b->cap = ncap;
    return 0;
}

/* Adds p to b (room reserved). */
static void bucket_add(role_bucket_t *b, post_e *p)
{
    b->posts[b->n++] = p;
    if (!b->min || strcmp(p->pub.id, b->min->pub.id) < 0)
        b->min = p;
    p->bucket = b;
}

static void bucket_remove(role_bucket_t *b, post_e *p)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->posts[i] == p) {
            b->posts[i] = b->posts[--b->n];
            break;
        }
    }
    if (b->min != p)
        return;
    b->min = NULL;
    for (size_t i = 0; i < b->n; i++)
        if (!b->min || strcmp(b->posts[i]->pub.id, b->min->pub.id) < 0)
            b->min = b->posts[i];
}

/* ---- posts ---- */

/* True when post `id` is p or above p in its reporting chain. */
static int post_chain_has(const post_e *p, const char *id)
{
    for (; p; p = p->sup)
        if (strcmp(p->pub.id, id) == 0)
            return 1;
    return 0;
}

/* Inserts or replaces a post, keeping its holder. See directory.h. */
int pv_directory_put_post(pv_directory_t *dir, const char *id, const char *role, const char *office,
                          const char *reports_to)
{
    if (!dir || !is_set(id) || !is_set(role) || strchr(role, KEY_SEP))
        return PV_EINVAL;
    if (strlen(id) > PV_DIRECTORY_ID_MAX)
        return PV_ERANGE;
    office_e *off = office_get(dir, office);
    post_e *sup = NULL;
    if (!off)
        return PV_ENOENT;
    if (is_set(reports_to)) {
        if (!(sup = post_get(dir, reports_to)))
            return PV_ENOENT;
        if (post_chain_has(sup, id))
            return PV_EINVAL;
    }
    char *r = strdup(role);
    role_bucket_t *b = r ? bucket_get(dir, role, off->pub.id) : NULL;
    post_e *p = NULL;
    if (!b || bucket_reserve(b) < 0)
        goto nomem;
    if (!(p = post_get(dir, id)) && !(p = entry_new(&dir->posts, &dir->post_list, sizeof *p, id)))
        goto nomem;
    if (p->bucket != b) {
        if (p->bucket)
            bucket_remove(p->bucket, p);
        bucket_add(b, p);
    }
    free_str(p->pub.role);
    p->pub.role = r;
    p->office = off;
    p->pub.office = off->pub.id;
    p->sup = sup;
    p->pub.reports_to = sup ? sup->pub.id : "";
    if (!p->holder)
        p->pub.holder = "";
    return 0;
nomem:
    free(r);
    return PV_ENOMEM;
}

/* ---- officers ---- */

static void unpost(officer_e *o)
{
    if (o->post) {
        o->post->holder = NULL;
        o->post->pub.holder = "";
    }
    o->post = NULL;
    o->pub.post = "";
}

/* Moves o to np (NULL: unposted): vacates o's old post and unposts np's previous holder. */
static void officer_move(officer_e *o, post_e *np)
{
    if (np && o->post == np)
        return;
    unpost(o);
    if (!np)
        return;
    if (np->holder)
        unpost(np->holder);
    np->holder = o;
    np->pub.holder = o->pub.id;
    o->post = np;
    o->pub.post = np->pub.id;
}

/* Inserts or replaces an officer and posts them. See directory.h. */
int pv_directory_put_officer(pv_directory_t *dir, const char *id, const char *name,
                             const char *post)
{
    if (!dir || !is_set(id))
        return PV_EINVAL;
    if (strlen(id) > PV_DIRECTORY_OFFICER_ID_MAX)
        return PV_ERANGE;
    post_e *np = NULL;
    if (is_set(post) && !(np = post_get(dir, post)))
        return PV_ENOENT;
    char *n = dup_str(name);
    officer_e *o = NULL;
    if (!n)
        return PV_ENOMEM;
    if (!(o = officer_get(dir, id)) &&
        !(o = entry_new(&dir->officers, &dir->officer_list, sizeof *o, id))) {
        free(n);
        return PV_ENOMEM;
    }
    free_str(o->pub.name);
    o->pub.name = n;
    officer_move(o, np);
    return 0;
}

/* ---- queries ---- */

const pv_office_t *pv_directory_office(const pv_directory_t *dir, const char *id)
{
    office_e *o = dir ? office_get(dir, id) : NULL;
    return o ? &o->pub : NULL;
}

const pv_post_t *pv_directory_post(const pv_directory_t *dir, const char *id)
{
    post_e *p = dir ? post_get(dir, id) : NULL;
    return p ? &p->pub : NULL;
}

const pv_officer_t *pv_directory_officer(const pv_directory_t *dir, const char *id)
{
    officer_e *o = dir ? officer_get(dir, id) : NULL;
    return o ? &o->pub : NULL;
}

/* Walks `levels` steps up reports_to; chains are acyclic (put_post refuses cycles). */
const pv_post_t *pv_directory_superior(const pv_directory_t *dir, const char *post_id, int levels)
{
    post_e *p = dir && levels >= 0 ? post_get(dir, post_id) : NULL;
    while (p && levels-- > 0)
        p = p->sup;
    return p ? &p->pub : NULL;
}

/* One role-index probe per office on the way up; office trees are acyclic (put_office). */
const pv_post_t *pv_directory_find_role(const pv_directory_t *dir, const char *role,
                                        const char *office_id)
{
    if (!dir || !role)
        return NULL;
    for (office_e *o = office_get(dir, office_id); o; o = o->parent) {
        role_bucket_t *b = table_get(&dir->roles, role, o->pub.id);
        if (b && b->min)
            return &b->min->pub;
    }
    return NULL;
}

int pv_directory_reports_to(const pv_directory_t *dir, const char *sub, const char *sup)
{
    post_e *p = dir ? post_get(dir, sub) : NULL, *s = dir ? post_get(dir, sup) : NULL;
    if (!p || !s)
        return 0;
    for (p = p->sup; p; p = p->sup)
        if (p == s)
            return 1;
    return 0;
}

size_t pv_directory_officer_count(const pv_directory_t *dir)
{
    return dir ? dir->officer_list.n : 0;
}

size_t pv_directory_post_count(const pv_directory_t *dir)
{
    return dir ? dir->post_list.n : 0;
}

size_t pv_directory_office_count(const pv_directory_t *dir)
{
    return dir ? dir->office_list.n : 0;
}

const pv_office_t *pv_directory_office_at(const pv_directory_t *dir, size_t i)
{
    return dir && i < dir->office_list.n ? &((office_e *)dir->office_list.items[i])->pub : NULL;
}

const pv_post_t *pv_directory_post_at(const pv_directory_t *dir, size_t i)
{
    return dir && i < dir->post_list.n ? &((post_e *)dir->post_list.items[i])->pub : NULL;
}

const pv_officer_t *pv_directory_officer_at(const pv_directory_t *dir, size_t i)
{
    return dir && i < dir->officer_list.n ? &((officer_e *)dir->officer_list.items[i])->pub : NULL;
}

/* ---- seed loader ---- */

typedef struct {
    pv_directory_t *dir;
    yaml_document_t *doc;
    const char *file;
    char *err;
    size_t errlen;
} loader_t;

/* Writes "FILE:LINE: message" into ld->err and returns code. */
static int fail_at(loader_t *ld, size_t line, int code, const char *fmt, va_list ap)
{
    if (!ld->err || !ld->errlen)
        return code;
    int n = snprintf(ld->err, ld->errlen, "%s:%zu: ", ld->file, line);
    if (n >= 0 && (size_t)n < ld->errlen)
        vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
    return code;
}

/* Fails at node's line (line 1 when node is NULL). */
static int load_fail(loader_t *ld, const yaml_node_t *node, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int load_fail(loader_t *ld, const yaml_node_t *node, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    code = fail_at(ld, node ? node->start_mark.line + 1 : 1, code, fmt, ap);
    va_end(ap);
    return code;
}

/* Fails at the parser's problem mark. */
static int parse_fail(loader_t *ld, const yaml_parser_t *parser, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int parse_fail(loader_t *ld, const yaml_parser_t *parser, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int code = fail_at(ld, parser->problem_mark.line + 1, PV_EFORMAT, fmt, ap);
    va_end(ap);
    return code;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A YAML null (`key:` or `~`) used as an empty section. */
static int is_null(const yaml_node_t *n)
{
    const char *s = scalar(n);
    return s && (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0);
}

enum { F_ID, F_NAME, F_KIND, F_PARENT, F_DISTRICT }; /* office fields */
enum { P_ID, P_ROLE, P_OFFICE, P_REPORTS_TO };       /* post fields */
enum { O_ID, O_NAME, O_POST };                       /* officer fields */
#define MAX_FIELDS 5

/* One section: its name, what an entry is called, and the keys an entry may have. */
typedef struct {
    const char *section, *what;
    const char *keys[MAX_FIELDS];
    size_t nkeys, nrequired; /* the first nrequired keys must be present */
    size_t id_max;
} shape_t;

static const shape_t office_shape = {
    "offices", "office", {"id", "name", "kind", "parent", "district"}, 5, 3, PV_DIRECTORY_ID_MAX};
static const shape_t post_shape = {"posts", "post", {"id", "role", "office", "reports_to"},
                                   4,       3,      PV_DIRECTORY_ID_MAX};
static const shape_t officer_shape = {"officers", "officer", {"id", "name", "post"},
                                      3,          2,         PV_DIRECTORY_OFFICER_ID_MAX};

/* The required keys are present and the id is not too long. */
static int check_entry(loader_t *ld, yaml_node_t *item, const shape_t *sh, const char **vals)
{
    for (size_t i = 0; i < sh->nrequired; i++) {
        if (is_set(vals[i]))
            continue;
        if (i == 0)
            return load_fail(ld, item, PV_EINVAL, "%s without 'id'", sh->what);
        return load_fail(ld, item, PV_EINVAL, "%s '%s' without '%s'", sh->what, vals[0],
                         sh->keys[i]);
    }
    if (strlen(vals[0]) > sh->id_max)
        return load_fail(ld, item, PV_EINVAL, "%s id '%s' is longer than %zu bytes", sh->what,
                         vals[0], sh->id_max);
    return 0;
}

/* Reads one entry of a section into vals (NULL = absent): a mapping of scalars with known keys,
 * each at most once, the required ones present. */
static int read_entry(loader_t *ld, yaml_node_t *item, const shape_t *sh, const char **vals)
{
    if (item->type != YAML_MAPPING_NODE)
        return load_fail(ld, item, PV_EINVAL, "%s entry must be a mapping", sh->section);
    for (size_t i = 0; i < sh->nkeys; i++)
        vals[i] = NULL;
    for (yaml_node_pair_t *pr = item->data.mapping.pairs.start; pr < item->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *kn = yaml_document_get_node(ld->doc, pr->key);
        yaml_node_t *vn = yaml_document_get_node(ld->doc, pr->value);
        const char *k = scalar(kn), *v = scalar(vn);
        size_t i = 0;
        while (k && i < sh->nkeys && strcmp(k, sh->keys[i]) != 0)
            i++;
        if (!k || i == sh->nkeys)
            return load_fail(ld, kn, PV_EINVAL, "unknown key '%s' in %s", k ? k : "?", sh->what);
        if (vals[i])
            return load_fail(ld, kn, PV_EINVAL, "duplicate key '%s' in %s", k, sh->what);
        if (!v)
            return load_fail(ld, vn, PV_EINVAL, "%s key '%s' must be a scalar", sh->what, k);
        vals[i] = v;
    }
    return check_entry(ld, item, sh, vals);
}

static int load_office(loader_t *ld, yaml_node_t *item, const char **v)
{
    if (office_get(ld->dir, v[F_ID]))
        return load_fail(ld, item, PV_EINVAL, "duplicate office id '%s'", v[F_ID]);
    if (is_set(v[F_PARENT]) && !office_get(ld->dir, v[F_PARENT]))
        return load_fail(ld, item, PV_EINVAL,
                         "office '%s' has unknown parent '%s' (define parents first)", v[F_ID],
                         v[F_PARENT]);
    return pv_directory_put_office(ld->dir, v[F_ID], v[F_NAME], v[F_KIND], v[F_PARENT],
                                   v[F_DISTRICT]);
}

static int load_post(loader_t *ld, yaml_node_t *item, const char **v)
{
    if (post_get(ld->dir, v[P_ID]))
        return load_fail(ld, item, PV_EINVAL, "duplicate post id '%s'", v[P_ID]);
    if (!office_get(ld->dir, v[P_OFFICE]))
        return load_fail(ld, item, PV_EINVAL, "post '%s' names unknown office '%s'", v[P_ID],
                         v[P_OFFICE]);
    if (is_set(v[P_REPORTS_TO]) && !post_get(ld->dir, v[P_REPORTS_TO]))
        return load_fail(ld, item, PV_EINVAL,
                         "post '%s' reports to unknown post '%s' (define superiors first)", v[P_ID],
                         v[P_REPORTS_TO]);
    if (strchr(v[P_ROLE], KEY_SEP))
        return load_fail(ld, item, PV_EINVAL, "post '%s' has a control character in its role",
                         v[P_ID]);
    return pv_directory_put_post(ld->dir, v[P_ID], v[P_ROLE], v[P_OFFICE], v[P_REPORTS_TO]);
}

static int load_officer(loader_t *ld, yaml_node_t *item, const char **v)
{
    if (officer_get(ld->dir, v[O_ID]))
        return load_fail(ld, item, PV_EINVAL, "duplicate officer id '%s'", v[O_ID]);
    if (is_set(v[O_POST])) {
        post_e *p = post_get(ld->dir, v[O_POST]);
        if (!p)
            return load_fail(ld, item, PV_EINVAL, "officer '%s' posted to unknown post '%s'",
                             v[O_ID], v[O_POST]);
        if (p->holder)
            return load_fail(ld, item, PV_EINVAL,
                             "officer '%s' posted to '%s', already held by '%s'", v[O_ID],
                             v[O_POST], p->holder->pub.id);
    }
    return pv_directory_put_officer(ld->dir, v[O_ID], v[O_NAME], v[O_POST]);
}

typedef int (*load_entry_fn)(loader_t *ld, yaml_node_t *item, const char **vals);

/* Loads every entry of one section (seq may be NULL: section absent). */
static int load_section(loader_t *ld, yaml_node_t *seq, const shape_t *sh, load_entry_fn fn)
{
    if (!seq || is_null(seq))
        return 0;
    if (seq->type != YAML_SEQUENCE_NODE)
        return load_fail(ld, seq, PV_EINVAL, "'%s' must be a sequence", sh->section);
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(ld->doc, *it);
        const char *vals[MAX_FIELDS];
        int rc = read_entry(ld, item, sh, vals);
        if (rc == 0)
            rc = fn(ld, item, vals);
        if (rc == PV_ENOMEM)
            return load_fail(ld, item, rc, "out of memory");
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Finds the three sections in the root mapping; refuses any other key. */
static int find_sections(loader_t *ld, yaml_node_t *root, yaml_node_t *sec[3])
{
    static const char *const names[3] = {"offices", "posts", "officers"};
    if (root->type != YAML_MAPPING_NODE)
        return load_fail(ld, root, PV_EINVAL, "the document must be a mapping");
    sec[0] = sec[1] = sec[2] = NULL;
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *kn = yaml_document_get_node(ld->doc, pr->key);
        const char *k = scalar(kn);
        int i = 0;
        while (k && i < 3 && strcmp(k, names[i]) != 0)
            i++;
        if (!k || i == 3)
            return load_fail(ld, kn, PV_EINVAL,
                             "unknown top-level key '%s' (expected offices, posts, officers)",
                             k ? k : "?");
        if (sec[i])
            return load_fail(ld, kn, PV_EINVAL, "duplicate top-level key '%s'", k);
        sec[i] = yaml_document_get_node(ld->doc, pr->value);
    }
    return 0;
}

/* Loads a seed document. See directory.h. */
int pv_directory_load(pv_directory_t *dir, const char *yaml, size_t len, const char *filename,
                      char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    loader_t ld = {dir, &doc, filename ? filename : "<directory>", err, errlen};
    yaml_node_t *sec[3], *root;
    int rc = 0;
    if (!dir || !yaml)
        return PV_EINVAL;
    if (!yaml_parser_initialize(&parser))
        return load_fail(&ld, NULL, PV_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = parse_fail(&ld, &parser, "invalid YAML: %s",
                        parser.problem ? parser.problem : "parse error");
        goto out_parser;
    }
    if (!(root = yaml_document_get_root_node(&doc))) {
        rc = load_fail(&ld, NULL, PV_EINVAL, "empty document");
        goto out;
    }
    /* Fixed order whatever the order in the file: posts need offices, officers need posts. */
    rc = find_sections(&ld, root, sec);
    if (rc == 0)
        rc = load_section(&ld, sec[0], &office_shape, load_office);
    if (rc == 0)
        rc = load_section(&ld, sec[1], &post_shape, load_post);
    if (rc == 0)
        rc = load_section(&ld, sec[2], &officer_shape, load_officer);
out:
    yaml_document_delete(&doc);
out_parser:
    yaml_parser_delete(&parser);
    return rc;
}
