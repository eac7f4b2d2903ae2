/*
 * faircollect.audit._native -- the per-entry hashing loops of the audit log's
 * RFC 6962 Merkle tree, done in C with OpenSSL's libcrypto.
 *
 *   leaf hash  = SHA-256(0x00 || record)
 *   node hash  = SHA-256(0x01 || left || right)
 *
 * Calling hashlib once per entry costs ~0.4 us, almost all of it interpreter and
 * call overhead rather than SHA-256 itself; looping here removes that overhead.
 * faircollect.audit.hashing wraps this module and has a pure-Python twin with the
 * same interface; the tests hold the two equal.
 *
 * "Bytes-like" below means: exports a C-contiguous buffer (PyBUF_SIMPLE), read as
 * raw bytes whatever its item format.
 */
#include "_rfc6962.h"

#include <string.h>

/* Below this many pairs, parent_level keeps the GIL: under contention, taking it
 * back can cost a whole switch interval, far more than hashing a short level. */
#define RELEASE_GIL_MIN_PAIRS 256

typedef struct {
    EVP_MD *sha256; /* from fc_fetch_sha256 at import */
} module_state;

static module_state *
get_state(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

/* Get a contiguous buffer of obj. Returns 1 on success, 0 when obj is simply not
 * bytes-like (no exception left set), -1 on any other error (exception set). */
static int
get_bytes_like(PyObject *obj, Py_buffer *view)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) == 0) {
        return 1;
    }
    /* TypeError: no buffer at all; BufferError: not contiguous; ValueError: a
     * released memoryview. All three mean "this item is not usable bytes". */
    if (PyErr_ExceptionMatches(PyExc_TypeError) ||
        PyErr_ExceptionMatches(PyExc_BufferError) ||
        PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyErr_Clear();
        return 0;
    }
    return -1;
}

/* Split a row into strong references to its two items. Returns 1 on success, 0
 * when the row is not a 2-item sequence (no exception set), -1 on other errors.
 * Strong references matter: taking a buffer may run arbitrary code (3.12+) that
 * could mutate a list row and free its items. */
static int
unpack_row(PyObject *row, PyObject **first, PyObject **second)
{
    PyObject *seq = PySequence_Fast(row, "row is not a sequence");
    if (seq == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            return 0;
        }
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(seq) != 2) {
        Py_DECREF(seq);
        return 0;
    }
    *first = Py_NewRef(PySequence_Fast_GET_ITEM(seq, 0));
    *second = Py_NewRef(PySequence_Fast_GET_ITEM(seq, 1));
    Py_DECREF(seq);
    return 1;
}

/* Hash one (record, stored_leaf) row into out and check it. Returns 1 when the
 * row is good, 0 when it is bad (no exception set), -1 on error (exception set). */
static int
check_row(EVP_MD_CTX *ctx, const EVP_MD *md, PyObject *row, unsigned char *out)
{
    PyObject *record = NULL, *stored = NULL;
    Py_buffer rec_view, leaf_view;
    const char *failed;
    int ok = unpack_row(row, &record, &stored);
    if (ok != 1) {
        return ok;
    }

    ok = get_bytes_like(record, &rec_view);
    if (ok != 1) {
        goto done;
    }
    failed = hash_prefixed(ctx, md, 0x00, rec_view.buf, (size_t)rec_view.len, out);
    PyBuffer_Release(&rec_view);
    if (failed != NULL) {
        set_openssl_error(failed);
        ok = -1;
        goto done;
    }

    ok = get_bytes_like(stored, &leaf_view);
    if (ok != 1) {
        goto done;
    }
    ok = leaf_view.len == HASH_SIZE && memcmp(leaf_view.buf, out, HASH_SIZE) == 0;
    PyBuffer_Release(&leaf_view);

done:
    Py_DECREF(record);
    Py_DECREF(stored);
    return ok;
}

/* What a batch call starts with: a tuple snapshot of the items (handling one may run
 * code that mutates a list), room for one digest per item, a digest context. Returns
 * the number of items, or -1 with an exception set and nothing left to free. */
static Py_ssize_t
begin_batch(PyObject *arg, PyObject **items, PyObject **out, EVP_MD_CTX **ctx)
{
    Py_ssize_t n;
    *items = PySequence_Tuple(arg);
    if (*items == NULL) {
        return -1;
    }
    n = PyTuple_GET_SIZE(*items);
    if (n > PY_SSIZE_T_MAX / HASH_SIZE) {
        PyErr_NoMemory();
    }
    else if ((*out = PyBytes_FromStringAndSize(NULL, n * HASH_SIZE)) != NULL &&
             (*ctx = new_ctx()) != NULL) {
        return n;
    }
    Py_CLEAR(*out);
    Py_CLEAR(*items);
    return -1;
}

PyDoc_STRVAR(leaf_level_doc,
"leaf_level(rows, /)\n--\n\n"
"Hash and check (record, stored_leaf) rows in order.\n\n"
"Returns (the concatenated 32-byte leaf hashes of the good rows before the first\n"
"bad one, the index of that bad row -- len(rows) when every row is good). A row\n"
"is bad when it is not a 2-item sequence, an item is not bytes-like, or\n"
"SHA-256(0x00 || record) differs from stored_leaf (which must be 32 bytes).\n"
"Bad rows are reported, never raised; TypeError only if rows is not iterable.");

static PyObject *
leaf_level(PyObject *module, PyObject *rows_arg)
{
    const EVP_MD *md = get_state(module)->sha256;
    PyObject *rows = NULL, *out = NULL;
    EVP_MD_CTX *ctx = NULL;
    Py_ssize_t n, i;

    n = begin_batch(rows_arg, &rows, &out, &ctx);
    if (n < 0) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        unsigned char *digest = (unsigned char *)PyBytes_AS_STRING(out) + i * HASH_SIZE;
        int ok = check_row(ctx, md, PyTuple_GET_ITEM(rows, i), digest);
        if (ok < 0) {
            goto fail;
        }
        if (ok == 0) {
            break;
        }
    }

    EVP_MD_CTX_free(ctx);
    ctx = NULL;
    Py_CLEAR(rows);
    /* Drop the digest of the bad row and the unused tail. */
    if (i < n && _PyBytes_Resize(&out, i * HASH_SIZE) < 0) {
        return NULL; /* _PyBytes_Resize has freed out */
    }
    return Py_BuildValue("(Nn)", out, i);

fail:
    EVP_MD_CTX_free(ctx);
    Py_XDECREF(out);
    Py_XDECREF(rows);
    return NULL;
}

PyDoc_STRVAR(leaf_hashes_doc,
"leaf_hashes(records, /)\n--\n\n"
"The concatenated SHA-256(0x00 || record) of bytes-like records.\n"
"TypeError, naming its index, for an item that is not bytes-like.");

static PyObject *
leaf_hashes(PyObject *module, PyObject *records_arg)
{
    const EVP_MD *md = get_state(module)->sha256;
    PyObject *records = NULL, *out = NULL;
    EVP_MD_CTX *ctx = NULL;
    Py_ssize_t n, i;

    n = begin_batch(records_arg, &records, &out, &ctx);
    if (n < 0) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(records, i);
        unsigned char *digest = (unsigned char *)PyBytes_AS_STRING(out) + i * HASH_SIZE;
        Py_buffer view;
        const char *failed;
        int ok = get_bytes_like(item, &view);
        if (ok < 0) {
            goto fail;
        }
        if (ok == 0) {
            PyErr_Format(PyExc_TypeError,
                         "leaf_hashes: item %zd is not a bytes-like object (got %.200s)",
                         i, Py_TYPE(item)->tp_name);
            goto fail;
        }
        failed = hash_prefixed(ctx, md, 0x00, view.buf, (size_t)view.len, digest);
        PyBuffer_Release(&view);
        if (failed != NULL) {
            set_openssl_error(failed);
            goto fail;
        }
    }

    EVP_MD_CTX_free(ctx);
    Py_DECREF(records);
    return out;

fail:
    EVP_MD_CTX_free(ctx);
    Py_XDECREF(out);
    Py_DECREF(records);
    return NULL;
}

PyDoc_STRVAR(parent_level_doc,
"parent_level(level, /)\n--\n\n"
"Hash pairs of a level of concatenated 32-byte node hashes.\n\n"
"Returns the concatenated SHA-256(0x01 || left || right) of each pair; an odd\n"
"last node is ignored. ValueError if len(level) is not a multiple of 32.");

static PyObject *
parent_level(PyObject *module, PyObject *level_arg)
{
    const EVP_MD *md = get_state(module)->sha256;
    Py_buffer view;
    PyObject *out = NULL;
    EVP_MD_CTX *ctx = NULL;
    const char *failed = NULL;
    Py_ssize_t pairs, i;

    if (PyObject_GetBuffer(level_arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (view.len % HASH_SIZE != 0) {
        PyErr_Format(PyExc_ValueError,
                     "parent_level: length %zd is not a multiple of %d",
                     view.len, HASH_SIZE);
        goto fail;
    }
    pairs = view.len / (2 * HASH_SIZE);
    out = PyBytes_FromStringAndSize(NULL, pairs * HASH_SIZE);
    if (out == NULL) {
        goto fail;
    }
    ctx = new_ctx();
    if (ctx == NULL) {
        goto fail;
    }

    {
        const unsigned char *in = (const unsigned char *)view.buf;
        unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(out);
        /* Only C memory from here: the held buffer cannot be resized or freed,
         * and out is not yet visible to any other thread. */
        PyThreadState *saved = NULL;
        if (pairs >= RELEASE_GIL_MIN_PAIRS) {
            saved = PyEval_SaveThread();
        }
        for (i = 0; i < pairs && failed == NULL; i++) {
            failed = hash_prefixed(ctx, md, 0x01, in + i * 2 * HASH_SIZE,
                                   2 * HASH_SIZE, dst + i * HASH_SIZE);
        }
        if (saved != NULL) {
            PyEval_RestoreThread(saved);
        }
    }
    if (failed != NULL) {
        /* The OpenSSL error queue is per thread, so it is still ours to read. */
        set_openssl_error(failed);
        goto fail;
    }

    EVP_MD_CTX_free(ctx);
    PyBuffer_Release(&view);
    return out;

fail:
    EVP_MD_CTX_free(ctx);
    Py_XDECREF(out);
    PyBuffer_Release(&view);
    return NULL;
}

static PyMethodDef native_methods[] = {
    {"leaf_level", leaf_level, METH_O, leaf_level_doc},
    {"leaf_hashes", leaf_hashes, METH_O, leaf_hashes_doc},
    {"parent_level", parent_level, METH_O, parent_level_doc},
    {NULL, NULL, 0, NULL},
};

static int
native_exec(PyObject *module)
{
    module_state *state = get_state(module);
    state->sha256 = fc_fetch_sha256();
    return state->sha256 == NULL ? -1 : 0;
}

static void
native_free(void *module)
{
    module_state *state = get_state((PyObject *)module);
    if (state != NULL) {
        fc_release_sha256(state->sha256);
        state->sha256 = NULL;
    }
}

static PyModuleDef_Slot native_slots[] = {
    {Py_mod_exec, native_exec},
    {0, NULL},
};

PyDoc_STRVAR(module_doc,
"RFC 6962 Merkle hashing loops in C (OpenSSL libcrypto).\n\n"
"Use faircollect.audit.hashing, which falls back to pure Python without this module.");

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "faircollect.audit._native",
    .m_doc = module_doc,
    .m_size = sizeof(module_state),
    .m_methods = native_methods,
    .m_slots = native_slots,
    .m_free = native_free,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    return PyModuleDef_Init(&native_module);
}
