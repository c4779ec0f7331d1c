#include "CMailShim.h"
#include <gmime/gmime.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>
#include <pthread.h>

struct id_list {
    char *header;
    GMimeReferences *ids;
    struct id_list *next;
};

struct docket_mail {
    GMimeMessage *message;
    GMimeParserOptions *options;
    docket_mail_part *parts;
    size_t count, capacity, visited;
    GPtrArray *owned;               /* strings and buffers freed with the mail */
    struct id_list *ids;
    GPtrArray *addresses[5];        /* flattened InternetAddressMailbox*, built on first use */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_once(void) { g_mime_init(); }
void docket_mail_init(void) { pthread_once(&once, init_once); }

static const char *keep(docket_mail *mail, char *text) {
    if (text) g_ptr_array_add(mail->owned, text);
    return text;
}

/* Multipart boundaries and enclosed messages declared anywhere in the bytes, counted before GMime
   sees them: GMime's parser descends into each recursively, so a message nesting thousands would
   take that many stack frames before the walk below could refuse it. */
static size_t declared_containers(const char *bytes, size_t length) {
    static const char *markers[] = { "boundary=", "message/rfc822" };
    size_t found = 0;
    for (size_t m = 0; m < 2; m++) {
        size_t n = strlen(markers[m]);
        for (size_t i = 0; i + n <= length; i++) {
            if ((bytes[i] | 0x20) == markers[m][0] && strncasecmp(bytes + i, markers[m], n) == 0) {
                found++;
                i += n - 1;
            }
        }
    }
    return found;
}

static int add_leaf(docket_mail *mail, GMimePart *part, int depth, size_t max_bytes) {
    if (mail->count == mail->capacity) {
        size_t capacity = mail->capacity ? mail->capacity * 2 : 8;
        docket_mail_part *grown = realloc(mail->parts, capacity * sizeof *grown);
        if (!grown) return DOCKET_MAIL_NO_MEMORY;
        mail->parts = grown;
        mail->capacity = capacity;
    }
    docket_mail_part *leaf = &mail->parts[mail->count];
    memset(leaf, 0, sizeof *leaf);
    GMimeObject *object = GMIME_OBJECT(part);
    GMimeContentType *type = g_mime_object_get_content_type(object);
    char *mime = type ? g_mime_content_type_get_mime_type(type) : g_strdup("application/octet-stream");
    if (mime) for (char *c = mime; *c; c++) *c = (char)g_ascii_tolower(*c);
    leaf->mime_type = keep(mail, mime);
    leaf->filename = keep(mail, g_strdup(g_mime_part_get_filename(part)));
    leaf->content_id = keep(mail, g_strdup(g_mime_part_get_content_id(part)));
    leaf->depth = depth;
    GMimeContentDisposition *disposition = g_mime_object_get_content_disposition(object);
    int attached = disposition && g_mime_content_disposition_is_attachment(disposition);
    int text = GMIME_IS_TEXT_PART(part) && type &&
        (g_mime_content_type_is_type(type, "text", "plain") || g_mime_content_type_is_type(type, "text", "html"));
    leaf->is_text = text && !attached;
    leaf->is_attachment = !leaf->is_text;
    if (leaf->is_text) {
        /* Decoded from its transfer encoding and converted from its charset to UTF-8. */
        char *utf8 = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
        size_t length = utf8 ? strlen(utf8) : 0;
        if (length > max_bytes) {
            length = max_bytes;
            leaf->truncated = 1;
        }
        leaf->data = (const unsigned char *)keep(mail, utf8);
        leaf->length = length;
    } else {
        GMimeDataWrapper *content = g_mime_part_get_content(part);
        if (content) {
            GMimeStream *stream = g_mime_stream_mem_new();
            g_mime_data_wrapper_write_to_stream(content, stream);
            GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
            size_t length = array ? array->len : 0;
            if (length > max_bytes) {
                length = max_bytes;
                leaf->truncated = 1;
            }
            unsigned char *copy = malloc(length ? length : 1);
            if (!copy) {
                g_object_unref(stream);
                return DOCKET_MAIL_NO_MEMORY;
            }
            if (length) memcpy(copy, array->data, length);
            g_object_unref(stream);
            g_ptr_array_add(mail->owned, copy);
            leaf->data = copy;
            leaf->length = length;
        }
    }
    mail->count++;
    return DOCKET_MAIL_OK;
}

static int walk(docket_mail *mail, GMimeObject *object, int depth, docket_mail_limits limits) {
    if (++mail->visited > limits.max_parts) return DOCKET_MAIL_TOO_MANY_PARTS;
    if ((size_t)depth > limits.max_depth) return DOCKET_MAIL_TOO_DEEP;
    if (GMIME_IS_MESSAGE_PART(object)) {
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
        GMimeObject *body = inner ? g_mime_message_get_mime_part(inner) : NULL;
        return body ? walk(mail, body, depth + 1, limits) : DOCKET_MAIL_OK;
    }
    if (GMIME_IS_MULTIPART(object)) {
        GMimeMultipart *multipart = GMIME_MULTIPART(object);
        int count = g_mime_multipart_get_count(multipart);
        for (int i = 0; i < count; i++) {
            int error = walk(mail, g_mime_multipart_get_part(multipart, i), depth + 1, limits);
            if (error) return error;
        }
        return DOCKET_MAIL_OK;
    }
    if (GMIME_IS_PART(object)) return add_leaf(mail, GMIME_PART(object), depth, limits.max_part_bytes);
    return DOCKET_MAIL_OK;
}

void docket_mail_free(docket_mail *mail) {
    if (!mail) return;
    for (struct id_list *list = mail->ids; list;) {
        struct id_list *next = list->next;
        g_free(list->header);
        if (list->ids) g_mime_references_free(list->ids);
        free(list);
        list = next;
    }
    for (int i = 0; i < 5; i++) if (mail->addresses[i]) g_ptr_array_unref(mail->addresses[i]);
    if (mail->owned) g_ptr_array_unref(mail->owned);
    free(mail->parts);
    if (mail->message) g_object_unref(mail->message);
    if (mail->options) g_mime_parser_options_free(mail->options);
    free(mail);
}

static void free_owned(gpointer data) { free(data); }

docket_mail *docket_mail_parse(const char *bytes, size_t length, docket_mail_limits limits, int *error) {
    docket_mail_init();
    *error = DOCKET_MAIL_OK;
    if (declared_containers(bytes, length) > limits.max_parts) {
        *error = DOCKET_MAIL_TOO_MANY_PARTS;
        return NULL;
    }
    docket_mail *mail = calloc(1, sizeof *mail);
    if (!mail) {
        *error = DOCKET_MAIL_NO_MEMORY;
        return NULL;
    }
    /* g_strdup'd strings and malloc'd buffers alike: GLib's g_free is free on this platform. */
    mail->owned = g_ptr_array_new_with_free_func(free_owned);
    mail->options = g_mime_parser_options_new();
    /* Undeclared 8-bit text: UTF-8 if it is, else Windows-1252 (Western mail's usual legacy). */
    const char *fallback[] = { "UTF-8", "windows-1252", NULL };
    g_mime_parser_options_set_fallback_charsets(mail->options, fallback);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(bytes, length);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    mail->message = g_mime_parser_construct_message(parser, mail->options);
    g_object_unref(parser);
    g_object_unref(stream);
    if (!mail->message) {
        *error = DOCKET_MAIL_MALFORMED;
        docket_mail_free(mail);
        return NULL;
    }
    GMimeObject *body = g_mime_message_get_mime_part(mail->message);
    if (body) *error = walk(mail, body, 0, limits);
    if (*error) {
        docket_mail_free(mail);
        return NULL;
    }
    return mail;
}

size_t docket_mail_part_count(const docket_mail *mail) { return mail->count; }
const docket_mail_part *docket_mail_part_at(const docket_mail *mail, size_t index) {
    return index < mail->count ? &mail->parts[index] : NULL;
}

const char *docket_mail_header(docket_mail *mail, const char *name) {
    const char *value = g_mime_object_get_header(GMIME_OBJECT(mail->message), name);
    /* GMime keeps the Content-* headers on the message's top part. */
    GMimeObject *body = value ? NULL : g_mime_message_get_mime_part(mail->message);
    return body ? g_mime_object_get_header(body, name) : value;
}

const char *docket_mail_header_decoded(docket_mail *mail, const char *name) {
    const char *raw = docket_mail_header(mail, name);
    return raw ? keep(mail, g_mime_utils_header_decode_text(mail->options, raw)) : NULL;
}

const char *docket_mail_subject(docket_mail *mail) { return g_mime_message_get_subject(mail->message); }
const char *docket_mail_message_id(docket_mail *mail) { return g_mime_message_get_message_id(mail->message); }

int64_t docket_mail_date(docket_mail *mail) {
    GDateTime *date = g_mime_message_get_date(mail->message);
    return date ? (int64_t)g_date_time_to_unix(date) : 0;
}

static GMimeReferences *ids_of(docket_mail *mail, const char *header) {
    for (struct id_list *list = mail->ids; list; list = list->next)
        if (g_ascii_strcasecmp(list->header, header) == 0) return list->ids;
    struct id_list *list = calloc(1, sizeof *list);
    if (!list) return NULL;
    list->header = g_strdup(header);
    const char *raw = docket_mail_header(mail, header);
    list->ids = raw ? g_mime_references_parse(mail->options, raw) : NULL;
    list->next = mail->ids;
    mail->ids = list;
    return list->ids;
}

size_t docket_mail_id_count(docket_mail *mail, const char *header) {
    GMimeReferences *ids = ids_of(mail, header);
    return ids ? (size_t)g_mime_references_length(ids) : 0;
}

const char *docket_mail_id_at(docket_mail *mail, const char *header, size_t index) {
    GMimeReferences *ids = ids_of(mail, header);
    return ids && index < (size_t)g_mime_references_length(ids) ? g_mime_references_get_message_id(ids, (int)index) : NULL;
}

static void flatten(GPtrArray *into, InternetAddressList *list, int depth) {
    if (!list || depth > 4) return;
    int length = internet_address_list_length(list);
    for (int i = 0; i < length; i++) {
        InternetAddress *address = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(address)) g_ptr_array_add(into, address);
        else if (INTERNET_ADDRESS_IS_GROUP(address)) flatten(into, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), depth + 1);
    }
}

static GPtrArray *addresses(docket_mail *mail, int which) {
    if (which < 0 || which > 4) return NULL;
    if (!mail->addresses[which]) {
        static const GMimeAddressType types[] = {
            GMIME_ADDRESS_TYPE_FROM, GMIME_ADDRESS_TYPE_REPLY_TO, GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC, GMIME_ADDRESS_TYPE_SENDER };
        mail->addresses[which] = g_ptr_array_new();
        flatten(mail->addresses[which], g_mime_message_get_addresses(mail->message, types[which]), 0);
    }
    return mail->addresses[which];
}

size_t docket_mail_address_count(docket_mail *mail, int which) {
    GPtrArray *list = addresses(mail, which);
    return list ? list->len : 0;
}

const char *docket_mail_address_name(docket_mail *mail, int which, size_t index) {
    GPtrArray *list = addresses(mail, which);
    if (!list || index >= list->len) return NULL;
    return internet_address_get_name(INTERNET_ADDRESS(g_ptr_array_index(list, index)));
}

const char *docket_mail_address_addr(docket_mail *mail, int which, size_t index) {
    GPtrArray *list = addresses(mail, which);
    if (!list || index >= list->len) return NULL;
    return internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(g_ptr_array_index(list, index)));
}

/* ---- Composing a mail to send ---- */

static GMimeObject *text_part(const char *subtype, const char *text) {
    GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
    g_mime_text_part_set_text(part, text ? text : "");
    return (GMimeObject *)part;
}

static void add_ids(GMimeObject *object, const char *header, const char *ids) {
    if (!ids || !*ids) return;
    GString *value = g_string_new(NULL);
    const char *cursor = ids;
    while (*cursor) {
        while (*cursor == ' ') cursor++;
        const char *end = cursor;
        while (*end && *end != ' ') end++;
        if (end > cursor) {
            if (value->len) g_string_append_c(value, ' ');
            g_string_append_c(value, '<');
            g_string_append_len(value, cursor, end - cursor);
            g_string_append_c(value, '>');
        }
        cursor = end;
    }
    if (value->len) g_mime_object_set_header(object, header, value->str, NULL);
    g_string_free(value, TRUE);
}

char *docket_mail_compose(const docket_outgoing_mail *mail, size_t *length) {
    docket_mail_init();
    GMimeMessage *message = g_mime_message_new(TRUE);
    GMimeObject *top = (GMimeObject *)message;
    g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_FROM, mail->from_name, mail->from_address);
    g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_TO, mail->to_name, mail->to_address);
    if (mail->reply_to) g_mime_message_add_mailbox(message, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, mail->reply_to);
    g_mime_message_set_subject(message, mail->subject ? mail->subject : "", "utf-8");
    GDateTime *date = g_date_time_new_from_unix_utc(mail->date);
    g_mime_message_set_date(message, date);
    g_date_time_unref(date);
    if (mail->message_id) g_mime_message_set_message_id(message, mail->message_id);
    add_ids(top, "In-Reply-To", mail->in_reply_to);
    add_ids(top, "References", mail->references);
    for (size_t i = 0; i + 1 < mail->header_count * 2; i += 2)
        g_mime_object_set_header(top, mail->headers[i], mail->headers[i + 1], "utf-8");
    GMimeObject *body;
    if (mail->html) {
        GMimeMultipart *alternative = g_mime_multipart_new_with_subtype("alternative");
        GMimeObject *plain = text_part("plain", mail->text), *html = text_part("html", mail->html);
        g_mime_multipart_add(alternative, plain);
        g_mime_multipart_add(alternative, html);
        g_object_unref(plain);
        g_object_unref(html);
        body = (GMimeObject *)alternative;
    } else {
        body = text_part("plain", mail->text);
    }
    g_mime_message_set_mime_part(message, body);
    g_object_unref(body);
    /* Quoted-printable or base64 wherever 8-bit text would not pass every relay. */
    g_mime_object_encode(top, GMIME_ENCODING_CONSTRAINT_7BIT);
    GMimeFormatOptions *format = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
    char *text = g_mime_object_to_string(top, format);
    g_mime_format_options_free(format);
    g_object_unref(message);
    if (!text) return NULL;
    *length = strlen(text);
    return text;
}

void docket_mail_bytes_free(char *bytes) { g_free(bytes); }
