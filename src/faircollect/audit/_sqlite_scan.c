/*
 * faircollect.audit._sqlite_scan -- read a range of audit entries straight from an
 * SQLite file and hash them, without making a Python object per row.
 *
 * Verification through the Python driver spends about 0.43 us per row building a
 * tuple and two bytes objects, more than both hashes of the entry together. Here a
 * chunk of rows is stepped with SQLite's C API, each record hashed as
 * SHA-256(0x00 || record) and compared with its stored leaf, with the GIL released
 * throughout. It opens its own connection, so it sees committed rows only: callers
 * use it only where other processes would do (see faircollect.audit.scan).
 *
 * It must run on the very libsqlite3 Python's sqlite3 module loaded (faircollect
 * checks before using it): two copies of SQLite in one process do not share their
 * POSIX file locks, and closing one copy's file would drop the other's locks.
 */
#include "_rfc6962.h"

#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

/* Outcomes of a scan, as returned to Python. */
#define SCAN_GOOD 0    /* every entry in [lo, hi) is present and hashes to its leaf */
#define SCAN_ALTERED 1 /* entry lo+good is not bytes, or misses its stored leaf */
#define SCAN_MISSING 2 /* entry lo+good has no row */

/* A chunk is at most this many entries (64 MiB of leaf hashes). */
#define MAX_SPAN (1 << 21)

#define ENTRIES_SQL \
    "SELECT seq, record, leaf FROM audit_entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq"

typedef struct {
    EVP_MD *sha256; /* from fc_fetch_sha256 at import */
} module_state;

/* What the GIL-free part hands back: an outcome, or the call that failed. */
typedef struct {
    long long good;     /* entries checked and found good, from lo */
    int outcome;        /* SCAN_* */
    const char *failed; /* non-NULL: an SQLite or OpenSSL call that failed */
    int sqlite_code;    /* its SQLite result code, when SQLite failed */
    char message[256];  /* SQLite's message for it, copied before the close */
} scan_result;

static void
sqlite_failed(scan_result *r, sqlite3 *db, const char *what, int code)
{
    r->failed = what;
    r->sqlite_code = code;
    snprintf(r->message, sizeof r->message, "%s",
             db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(code));
}

/* Check one row into digest; returns SCAN_GOOD, SCAN_ALTERED or -1 (OpenSSL failed). */
static int
check_row(EVP_MD_CTX *ctx, const EVP_MD *md, sqlite3_stmt *stmt, unsigned char *digest,
          scan_result *r)
{
    const void *record;
    const void *leaf;
    int type = sqlite3_column_type(stmt, 1);
    /* Text is hashed as stored (UTF-8), exactly as CAST(record AS BLOB) gives it. */
    if (type == SQLITE_TEXT) {
        record = sqlite3_column_text(stmt, 1);
    }
    else if (type == SQLITE_BLOB) {
        record = sqlite3_column_blob(stmt, 1);
    }
    else {
        return SCAN_ALTERED; /* NULL, or a number where the record should be */
    }
    int length = sqlite3_column_bytes(stmt, 1);
    const char *failed = hash_prefixed(ctx, md, 0x00, record, (size_t)length, digest);
    if (failed != NULL) {
        r->failed = failed;
        return -1;
    }
    if (sqlite3_column_type(stmt, 2) != SQLITE_BLOB) {
        return SCAN_ALTERED;
    }
    leaf = sqlite3_column_blob(stmt, 2);
    if (sqlite3_column_bytes(stmt, 2) != HASH_SIZE || memcmp(leaf, digest, HASH_SIZE) != 0) {
        return SCAN_ALTERED;
    }
    return SCAN_GOOD;
}

/* Scan [lo, hi) of the database at path into out; touches no Python object. */
static void
scan(const char *path, long long lo, long long hi, const EVP_MD *md, unsigned char *out,
     scan_result *r)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    long long expected = lo;
    int rc;

    r->good = 0;
    r->outcome = SCAN_GOOD;
    r->failed = NULL;
    r->sqlite_code = 0;
    if (ctx == NULL) {
        r->failed = "EVP_MD_CTX_new";
        return;
    }
    /* Read-write without create, as any other reader opens it: a read-only
     * connection cannot always open a database in WAL mode. Only SELECT runs. */
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sqlite_failed(r, db, "sqlite3_open_v2", rc);
        goto done;
    }
    sqlite3_busy_timeout(db, 10000);
    rc = sqlite3_prepare_v2(db, ENTRIES_SQL, -1, &stmt, NULL);
    if (rc != SQLITE_OK) {
        sqlite_failed(r, db, "sqlite3_prepare_v2", rc);
        goto done;
    }
    sqlite3_bind_int64(stmt, 1, lo);
    sqlite3_bind_int64(stmt, 2, hi);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (sqlite3_column_int64(stmt, 0) != expected) {
            r->outcome = SCAN_MISSING;
            break;
        }
        int outcome = check_row(ctx, md, stmt, out + (expected - lo) * HASH_SIZE, r);
        if (outcome < 0) {
            goto done;
        }
        if (outcome != SCAN_GOOD) {
            r->outcome = outcome;
            break;
        }
        expected++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sqlite_failed(r, db, "sqlite3_step", rc);
        goto done;
    }
    if (r->outcome == SCAN_GOOD && expected < hi) {
        r->outcome = SCAN_MISSING; /* the rows ran out early */
    }
    r->good = expected - lo;

done:
    sqlite3_finalize(stmt); /* NULL-safe */
    sqlite3_close(db);      /* NULL-safe */
    EVP_MD_CTX_free(ctx);
}

PyDoc_STRVAR(leaves_doc,
"leaves(path, lo, hi, /)\n--\n\n"
"Read entries lo..hi-1 from the SQLite database at path and check them.\n\n"
"Returns (the concatenated leaf hashes of the good entries from lo, how many there\n"
"are, outcome): outcome 0 when all of [lo, hi) is present and every record hashes\n"
"to its stored leaf, 1 when entry lo+good is altered (its record is not bytes or\n"
"misses its leaf), 2 when entry lo+good is missing. RuntimeError when the database\n"
"cannot be read; ValueError for a range that is empty, negative or too long.");

static PyObject *
leaves(PyObject *module, PyObject *args)
{
    const EVP_MD *md = ((module_state *)PyModule_GetState(module))->sha256;
    PyObject *path_bytes = NULL;
    long long lo, hi;
    scan_result r;
    unsigned char *out;
    PyObject *digests;

    if (!PyArg_ParseTuple(args, "O&LL:leaves", PyUnicode_FSConverter, &path_bytes, &lo, &hi)) {
        return NULL;
    }
    if (lo < 0 || hi <= lo || hi - lo > MAX_SPAN) {
        Py_DECREF(path_bytes);
        return PyErr_Format(PyExc_ValueError,
                            "leaves: range %lld..%lld is not 1 to %d entries from 0 on",
                            lo, hi, MAX_SPAN);
    }
    out = PyMem_RawMalloc((size_t)(hi - lo) * HASH_SIZE);
    if (out == NULL) {
        Py_DECREF(path_bytes);
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    scan(PyBytes_AS_STRING(path_bytes), lo, hi, md, out, &r);
    Py_END_ALLOW_THREADS
    Py_DECREF(path_bytes);
    if (r.failed != NULL) {
        PyMem_RawFree(out);
        if (r.sqlite_code != 0) {
            /* No path in the message: it may name a customer's directory. */
            return PyErr_Format(PyExc_RuntimeError, "cannot read the audit log: %s: %s",
                                r.failed, r.message);
        }
        set_openssl_error(r.failed);
        return NULL;
    }
    digests = PyBytes_FromStringAndSize((const char *)out, (Py_ssize_t)(r.good * HASH_SIZE));
    PyMem_RawFree(out);
    if (digests == NULL) {
        return NULL;
    }
    return Py_BuildValue("(NLi)", digests, r.good, r.outcome);
}

PyDoc_STRVAR(sqlite_library_doc,
"sqlite_library()\n--\n\n"
"(version, address of sqlite3_libversion) of the SQLite library this module runs\n"
"on; the address tells whether it is the very library another module loaded.");

static PyObject *
sqlite_library(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return Py_BuildValue("(sN)", sqlite3_libversion(),
                         PyLong_FromVoidPtr((void *)(uintptr_t)&sqlite3_libversion));
}

static PyMethodDef scan_methods[] = {
    {"leaves", leaves, METH_VARARGS, leaves_doc},
    {"sqlite_library", sqlite_library, METH_NOARGS, sqlite_library_doc},
    {NULL, NULL, 0, NULL},
};

static int
scan_exec(PyObject *module)
{
    module_state *state = (module_state *)PyModule_GetState(module);
    state->sha256 = fc_fetch_sha256();
    return state->sha256 == NULL ? -1 : 0;
}

static void
scan_free(void *module)
{
    module_state *state = (module_state *)PyModule_GetState((PyObject *)module);
    if (state != NULL) {
        fc_release_sha256(state->sha256);
        state->sha256 = NULL;
    }
}

static PyModuleDef_Slot scan_slots[] = {
    {Py_mod_exec, scan_exec},
    {0, NULL},
};

PyDoc_STRVAR(module_doc,
"Read and hash audit entries straight from an SQLite file (faircollect.audit.scan).");

static struct PyModuleDef scan_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "faircollect.audit._sqlite_scan",
    .m_doc = module_doc,
    .m_size = sizeof(module_state),
    .m_methods = scan_methods,
    .m_slots = scan_slots,
    .m_free = scan_free,
};

PyMODINIT_FUNC
PyInit__sqlite_scan(void)
{
    return PyModuleDef_Init(&scan_module);
}
