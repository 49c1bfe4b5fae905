#ifndef FIREBELL_CCURL_SHIM_H
#define FIREBELL_CCURL_SHIM_H

#include <curl/curl.h>

// Swift cannot call C variadic functions, and curl_easy_setopt,
// curl_easy_getinfo and curl_multi_setopt are all variadic. Each wrapper below
// fixes the type of the one variadic argument, so the compiler passes it the
// way libcurl reads it back with va_arg. Only FirebellCurl imports this module.

/// Signature of CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION callbacks.
typedef size_t (*fb_data_callback)(char *data, size_t size, size_t nmemb, void *userdata);

/// Wrapper around curl_easy_setopt() for CURLOPTTYPE_LONG options.
static inline CURLcode fb_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

/// Wrapper around curl_easy_setopt() for CURLOPTTYPE_OFF_T options
/// (the *_LARGE ones).
static inline CURLcode fb_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// Wrapper around curl_easy_setopt() for CURLOPTTYPE_STRINGPOINT options.
/// libcurl copies the string (except CURLOPT_POSTFIELDS, which Firebell
/// never uses; it uses CURLOPT_COPYPOSTFIELDS).
static inline CURLcode fb_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Wrapper around curl_easy_setopt() for CURLOPTTYPE_OBJECTPOINT and
/// CURLOPTTYPE_CBPOINT options (WRITEDATA, HEADERDATA, PRIVATE,
/// ERRORBUFFER, COPYPOSTFIELDS of binary data).
static inline CURLcode fb_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Wrapper around curl_easy_setopt() for CURLOPTTYPE_SLISTPOINT options
/// (CURLOPT_HTTPHEADER, CURLOPT_MAIL_RCPT). The list must outlive the
/// transfer: libcurl does not copy it.
static inline CURLcode fb_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Wrapper around curl_easy_setopt() for CURLOPT_WRITEFUNCTION and
/// CURLOPT_HEADERFUNCTION.
static inline CURLcode fb_easy_setopt_data_callback(CURL *handle, CURLoption option, fb_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/// Signature of the CURLOPT_READFUNCTION callback: fill `buffer` with up to
/// size * nitems bytes, return how many were written (0 at the end).
typedef size_t (*fb_read_callback)(char *buffer, size_t size, size_t nitems, void *userdata);

/// Wrapper around curl_easy_setopt() for CURLOPT_READFUNCTION (the bytes of
/// an upload: for SMTP, the message after DATA).
static inline CURLcode fb_easy_setopt_read_callback(CURL *handle, CURLoption option, fb_read_callback value) {
    return curl_easy_setopt(handle, option, value);
}

/// Wrapper around curl_easy_getinfo() for CURLINFO_LONG values.
static inline CURLcode fb_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// Wrapper around curl_easy_getinfo() for CURLINFO_STRING values
/// (owned by libcurl, valid until the handle is cleaned up). CURLINFO_PRIVATE
/// is read through this one too, as libcurl documents it as a char *.
static inline CURLcode fb_easy_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}

/// Wrapper around curl_easy_getinfo() for CURLINFO_DOUBLE values.
static inline CURLcode fb_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// Wrapper around curl_easy_getinfo() for CURLINFO_OFF_T values.
static inline CURLcode fb_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

/// Wrapper around curl_multi_setopt() for long options
/// (CURLMOPT_MAX_HOST_CONNECTIONS, CURLMOPT_MAXCONNECTS, ...).
static inline CURLMcode fb_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

/// CURLOPT_USE_SSL levels as plain longs: they are enum constants before
/// libcurl 8.13 and long macros from then on, and the option reads a long
/// either way.
static const long fb_usessl_none = (long)CURLUSESSL_NONE;
static const long fb_usessl_all = (long)CURLUSESSL_ALL;

/// CURL_GLOBAL_DEFAULT as a plain constant: the macro is an expression of
/// other macros, which Swift does not import reliably.
static const long fb_global_default = CURL_GLOBAL_DEFAULT;

#endif /* FIREBELL_CCURL_SHIM_H */
