/*
 * The RFC 6962 hashing the audit log's C extensions share: SHA-256 of a one-byte
 * prefix and data with OpenSSL's libcrypto, and OpenSSL failures as Python errors.
 * Included by _native.c (hashing loops) and _sqlite_scan.c (reading SQLite).
 */
#ifndef FAIRCOLLECT_RFC6962_H
#define FAIRCOLLECT_RFC6962_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#if OPENSSL_VERSION_NUMBER < 0x10100000L
#error "faircollect's audit extensions need OpenSSL 1.1.0 or newer"
#endif

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#define FC_OPENSSL3 1
#else
#define FC_OPENSSL3 0
#endif

#define HASH_SIZE 32

/* Set a RuntimeError naming the OpenSSL call that failed, with OpenSSL's own
 * reason when it left one, and empty this thread's OpenSSL error queue. */
static void
set_openssl_error(const char *what)
{
    unsigned long code = ERR_get_error();
    if (code != 0) {
        char reason[256];
        ERR_error_string_n(code, reason, sizeof reason);
        ERR_clear_error();
        PyErr_Format(PyExc_RuntimeError, "OpenSSL %s failed: %s", what, reason);
    }
    else {
        PyErr_Format(PyExc_RuntimeError, "OpenSSL %s failed", what);
    }
}

/* SHA-256(prefix || data) into out. Returns NULL on success, else the name of the
 * OpenSSL call that failed. Touches no Python object, so it may run without the
 * GIL; the caller turns a failure into an exception once it holds the GIL. */
static const char *
hash_prefixed(EVP_MD_CTX *ctx, const EVP_MD *md, unsigned char prefix,
              const unsigned char *data, size_t len, unsigned char *out)
{
    unsigned int out_len = 0;
#if FC_OPENSSL3
    if (!EVP_DigestInit_ex2(ctx, md, NULL)) {
        return "EVP_DigestInit_ex2";
    }
#else
    if (!EVP_DigestInit_ex(ctx, md, NULL)) {
        return "EVP_DigestInit_ex";
    }
#endif
    if (!EVP_DigestUpdate(ctx, &prefix, 1)) {
        return "EVP_DigestUpdate";
    }
    if (len > 0 && !EVP_DigestUpdate(ctx, data, len)) {
        return "EVP_DigestUpdate";
    }
    if (!EVP_DigestFinal_ex(ctx, out, &out_len)) {
        return "EVP_DigestFinal_ex";
    }
    if (out_len != HASH_SIZE) {
        return "EVP_DigestFinal_ex (digest length)";
    }
    return NULL;
}

static EVP_MD_CTX *
new_ctx(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        set_openssl_error("EVP_MD_CTX_new");
    }
    return ctx;
}


/* SHA-256 for this module's lifetime: fetched once (fetching per call is slow).
 * Returns NULL with a RuntimeError set on failure; release with fc_release_sha256. */
static EVP_MD *
fc_fetch_sha256(void)
{
#if FC_OPENSSL3
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (md == NULL) {
        set_openssl_error("EVP_MD_fetch(SHA256)");
        return NULL;
    }
#else
    EVP_MD *md = (EVP_MD *)EVP_sha256(); /* a static table, never freed */
    if (md == NULL) {
        set_openssl_error("EVP_sha256");
        return NULL;
    }
#endif
    if (EVP_MD_size(md) != HASH_SIZE) {
        PyErr_SetString(PyExc_RuntimeError, "OpenSSL SHA256 digest is not 32 bytes");
#if FC_OPENSSL3
        EVP_MD_free(md);
#endif
        return NULL;
    }
    return md;
}

static void
fc_release_sha256(EVP_MD *md)
{
#if FC_OPENSSL3
    EVP_MD_free(md); /* NULL-safe */
#else
    (void)md;
#endif
}

#endif /* FAIRCOLLECT_RFC6962_H */
