#ifndef DOCKET_MAIL_SHIM_H
#define DOCKET_MAIL_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* A MIME message parsed by GMime, seen through plain C types only: nothing of GMime or GLib
   crosses into Swift. Every string is UTF-8, owned by the message, valid until it is freed. */

typedef struct docket_mail docket_mail;

/* One leaf of the message's tree, in document order. */
typedef struct {
    int is_text;            /* text/plain or text/html: `data` is UTF-8, converted from its charset */
    int is_attachment;      /* Content-Disposition: attachment, or not text */
    int depth;              /* nesting below the top (a part of a forwarded message counts its message) */
    const char *mime_type;  /* "text/plain", "image/png" ... lower case */
    const char *filename;   /* or NULL */
    const char *content_id; /* or NULL */
    const unsigned char *data;
    size_t length;
    int truncated;          /* the decoded content was past max_part_bytes and was cut there */
} docket_mail_part;

typedef struct {
    size_t max_parts;       /* leaves and containers together */
    size_t max_depth;       /* multiparts and messages inside each other */
    size_t max_part_bytes;  /* a leaf's decoded content is cut here */
} docket_mail_limits;

/* Errors: 0 none; 1 not a message; 2 too many parts; 3 too deep; 4 out of memory. */
enum { DOCKET_MAIL_OK = 0, DOCKET_MAIL_MALFORMED = 1, DOCKET_MAIL_TOO_MANY_PARTS = 2, DOCKET_MAIL_TOO_DEEP = 3, DOCKET_MAIL_NO_MEMORY = 4 };

void docket_mail_init(void);

/* Parses `length` bytes; NULL with `*error` set when it cannot. The bytes are copied. */
docket_mail *docket_mail_parse(const char *bytes, size_t length, docket_mail_limits limits, int *error);
void docket_mail_free(docket_mail *mail);

size_t docket_mail_part_count(const docket_mail *mail);
const docket_mail_part *docket_mail_part_at(const docket_mail *mail, size_t index);

/* A top-level header: its raw value unfolded (NULL when absent), or decoded from RFC 2047 words. */
const char *docket_mail_header(docket_mail *mail, const char *name);
const char *docket_mail_header_decoded(docket_mail *mail, const char *name);

/* The message's Subject (decoded), Message-ID (without <>), date (seconds since 1970; 0: none). */
const char *docket_mail_subject(docket_mail *mail);
const char *docket_mail_message_id(docket_mail *mail);
int64_t docket_mail_date(docket_mail *mail);

/* The ids of a header that lists message ids (In-Reply-To, References), without <>. */
size_t docket_mail_id_count(docket_mail *mail, const char *header);
const char *docket_mail_id_at(docket_mail *mail, const char *header, size_t index);

/* Mailboxes of an address header: 0 From, 1 Reply-To, 2 To, 3 Cc, 4 Sender. Groups are flattened. */
size_t docket_mail_address_count(docket_mail *mail, int which);
const char *docket_mail_address_name(docket_mail *mail, int which, size_t index);  /* or NULL */
const char *docket_mail_address_addr(docket_mail *mail, int which, size_t index);

/* A mail to send, in plain C types: GMime encodes the headers (RFC 2047 for words outside
   ASCII), picks each part's transfer encoding for a 7-bit path, folds long headers and writes
   CRLF line ends. NULL strings are left out; `html` NULL makes a text/plain mail, else a
   multipart/alternative of the text and the HTML. `headers` are `header_count` name/value
   pairs added as given (X-Docket-Origin, Auto-Submitted...). */
typedef struct {
    const char *from_name, *from_address;
    const char *to_name, *to_address;
    const char *reply_to;
    const char *subject;
    const char *message_id;      /* without <> */
    const char *in_reply_to;     /* without <> */
    const char *references;      /* ids without <>, separated by spaces */
    int64_t date;                /* seconds since 1970 */
    const char *text;
    const char *html;
    const char *const *headers;
    size_t header_count;
} docket_outgoing_mail;

/* The message's bytes (free with docket_mail_bytes_free), their count in `*length`. */
char *docket_mail_compose(const docket_outgoing_mail *mail, size_t *length);
void docket_mail_bytes_free(char *bytes);

#endif
