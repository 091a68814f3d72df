/* fuzz_epan.c - libFuzzer harnesses that run the plugin inside a real epan
 * (libwireshark), in the pattern of Wireshark's fuzzshark: the plugin's
 * sources are linked in (instrumented) and registered before epan_init();
 * each input becomes one exported-PDU frame whose payload a driver
 * dissector feeds to Wireshark.
 *
 * Built twice (cmake -DTUME_FUZZ=ON -DCMAKE_C_COMPILER=clang):
 *
 *   fuzz_epan       the first byte picks the path:
 *                   even: the "tls" heuristic list (with the plugin's SIP
 *                   heuristic), then the handle it chose, record by record,
 *                   with TLS-like reassembly (what a dissector asks for is
 *                   prepended to the next record of that direction);
 *                   odd: the same records through HTTP ("http-over-tls")
 *                   and then the plugin's post-dissector, which reads the
 *                   HTTP messages (Host evidence, JSON body, message table).
 *                   Records: a flag byte (bit 0: from the server), a 16-bit
 *                   big-endian length, the bytes.
 *   fuzz_sip_diff   differential: where tume_sip_frame() says MESSAGE of n
 *                   bytes, Wireshark's own "sip.tcp" must take exactly those
 *                   n bytes as one message, without asking for more, both
 *                   alone and with the following bytes; where it says
 *                   NEED_MORE, sip.tcp must ask for exactly as much; where
 *                   CUT, sip.tcp must show it cut short without asking.
 *                   Anything else aborts (a finding).
 *
 *     ./tests/fuzz_epan -max_total_time=60 tests/fuzz_corpus/epan
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <epan/epan.h>
#include <epan/epan_dissect.h>
#include <epan/exceptions.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto.h>
#include <epan/tvbuff.h>
#include <wiretap/wtap.h>
#include <wsutil/exported_pdu_tlvs.h>
#include <wsutil/privileges.h>
#include <wsutil/wslog.h>

#include "sip_parse.h"
#include "fuzz_epan_compat.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *__asan_default_options(void);

/* libwireshark keeps file-scope memory across inputs, which LeakSanitizer
 * would scan (slowly) and report after every input; the plugin's leaks
 * are the valgrind test's job (tshark.memcheck). */
const char *
__asan_default_options(void)
{
    return "detect_leaks=0";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void plugin_register(void);     /* plugin/plugin.c */

#define MAX_RECORDS   64
#define MAX_PENDING   (256 * 1024)

static epan_t *fz_epan;
static epan_dissect_t *fz_edt;
static guint32 fz_frame;
static int proto_fz = -1;
static int proto_sip_id = -1;
static dissector_handle_t fz_http_tls, fz_sip_tcp;
static heur_dissector_list_t fz_tls_heur;

static const nstime_t *
fz_frame_ts(struct packet_provider_data *prov _U_, guint32 frame_num _U_)
{
    static nstime_t zero;
    return &zero;
}

static epan_t *
fz_epan_new(void)
{
    static const struct packet_provider_funcs funcs = { fz_frame_ts, NULL, NULL, NULL };
    return epan_new(NULL, &funcs);
}

/* ---- the driver dissector (its handle carries the "tls" protocol, so
 * the frame has a TLS layer as the plugin's post-dissector expects) ---- */

typedef struct {
    const guint8 *p;
    guint len;
    gboolean from_server;
} record_t;

static guint
split_records(tvbuff_t *tvb, int off, record_t *recs)
{
    guint n = 0;
    guint total = tvb_captured_length(tvb);
    const guint8 *base = tvb_get_ptr(tvb, 0, total);

    while ((guint)off + 3 <= total && n < MAX_RECORDS) {
        guint8 flags = base[off];
        guint len = ((guint)base[off + 1] << 8) | base[off + 2];
        off += 3;
        len = MIN(len, total - (guint)off);
        recs[n].p = base + off;
        recs[n].len = len;
        recs[n].from_server = (flags & 1) != 0;
        n++;
        off += (int)len;
    }
    return n;
}

static void
set_direction(packet_info *pinfo, const address *client, const address *server,
              guint32 cport, guint32 sport, gboolean from_server)
{
    copy_address_shallow(&pinfo->src, from_server ? server : client);
    copy_address_shallow(&pinfo->dst, from_server ? client : server);
    copy_address_shallow(&pinfo->net_src, &pinfo->src);
    copy_address_shallow(&pinfo->net_dst, &pinfo->dst);
    pinfo->srcport = from_server ? sport : cport;
    pinfo->destport = from_server ? cport : sport;
}

static void
run_records(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, gboolean http_only)
{
    record_t recs[MAX_RECORDS];
    guint n = split_records(tvb, 1, recs);
    GByteArray *pending[2] = { NULL, NULL };
    dissector_handle_t app = http_only ? fz_http_tls : NULL;
    address client, server;
    guint32 cport = pinfo->srcport, sport = pinfo->destport;

    copy_address_shallow(&client, &pinfo->src);
    copy_address_shallow(&server, &pinfo->dst);

    for (guint i = 0; i < n; i++) {
        guint d = recs[i].from_server ? 1 : 0;
        GByteArray *buf = g_byte_array_new();
        if (pending[d] != NULL) {
            g_byte_array_append(buf, pending[d]->data, pending[d]->len);
            g_byte_array_free(pending[d], TRUE);
            pending[d] = NULL;
        }
        g_byte_array_append(buf, recs[i].p, recs[i].len);
        if (buf->len == 0) {
            g_byte_array_free(buf, TRUE);
            continue;
        }
        guint len = buf->len;
        guint8 *bytes = g_byte_array_free(buf, FALSE);
        tvbuff_t *t = tvb_new_child_real_data(tvb, bytes, len, len);
        tvb_set_free_cb(t, g_free);
        add_new_data_source(pinfo, t, "Fuzz record");

        set_direction(pinfo, &client, &server, cport, sport, recs[i].from_server);
        pinfo->can_desegment = 2;
        pinfo->desegment_offset = 0;
        pinfo->desegment_len = 0;
        TRY {
            if (app == NULL) {
                heur_dtbl_entry_t *hdtbl_entry = NULL;
                if (!dissector_try_heuristic(fz_tls_heur, t, pinfo, tree, &hdtbl_entry,
                                             FZ_TLS_HEUR_DATA(&app))) {
                    app = fz_http_tls;   /* what TLS falls back to on 443 */
                    call_dissector(app, t, pinfo, tree);
                }
            } else {
                call_dissector(app, t, pinfo, tree);
            }
        }
        CATCH_NONFATAL_ERRORS {
            /* TLS shows it and goes on with the next record */
        }
        ENDTRY;
        if (pinfo->desegment_len != 0 && pinfo->desegment_offset < (int)len
            && len - (guint)pinfo->desegment_offset <= MAX_PENDING) {
            pending[d] = g_byte_array_new();
            g_byte_array_append(pending[d], bytes + pinfo->desegment_offset,
                                len - (guint)pinfo->desegment_offset);
        }
    }
    for (guint d = 0; d < 2; d++) {
        if (pending[d] != NULL)
            g_byte_array_free(pending[d], TRUE);
    }
    pinfo->desegment_offset = 0;
    pinfo->desegment_len = 0;
}

/* ---- the differential check of SIP framing ---- */

static void
diff_fail(const char *what, gsize n, gsize len, guint32 got)
{
    fprintf(stderr, "fuzz_sip_diff: %s (framed %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
            " bytes; Wireshark's SIP: %u)\n", what, n, len, got);
    abort();
}

/* Runs sip.tcp on bytes[0..len) as TLS would offer them; returns the length
 * of the first SIP item (0 if none) and what it asked for, or G_MAXUINT32
 * when SIP threw (its item then keeps the length it started with, and
 * without the plugin the rest of the record would be lost anyway). */
static guint32
sip_first_message(tvbuff_t *parent, packet_info *pinfo, proto_tree *tree, const guint8 *bytes,
                  guint len, guint32 *asked)
{
    gboolean threw = FALSE;
    tvbuff_t *t = tvb_new_child_real_data(parent, bytes, len, len);
    GPtrArray *before = proto_find_finfo(tree, proto_sip_id);
    guint skip = before != NULL ? before->len : 0;
    if (before != NULL)
        g_ptr_array_free(before, TRUE);

    pinfo->can_desegment = 2;
    pinfo->desegment_offset = 0;
    pinfo->desegment_len = 0;
    TRY {
        call_dissector(fz_sip_tcp, t, pinfo, tree);
    }
    CATCH_NONFATAL_ERRORS {
        threw = TRUE;
    }
    ENDTRY;
    *asked = pinfo->desegment_len;
    guint32 first = 0;
    GPtrArray *items = proto_find_finfo(tree, proto_sip_id);
    if (items != NULL) {
        if (items->len > skip)
            first = (guint32)((field_info *)g_ptr_array_index(items, skip))->length;
        g_ptr_array_free(items, TRUE);
    }
    pinfo->desegment_offset = 0;
    pinfo->desegment_len = 0;
    return threw ? G_MAXUINT32 : first;
}

static void
run_diff(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    guint len = tvb_captured_length(tvb);
    if (len < 2)
        return;
    const guint8 *p = tvb_get_ptr(tvb, 1, len - 1);
    len -= 1;
    gsize n = 0;
    const char *why = NULL;
    guint32 asked = 0, first;

    switch (tume_sip_frame(p, len, &n, &why)) {
    case TUME_SIP_FRAME_MESSAGE:
        /* alone: one message of n bytes, nothing asked */
        first = sip_first_message(tvb, pinfo, tree, p, (guint)n, &asked);
        if (first == G_MAXUINT32)
            break;
        if (asked != 0)
            diff_fail("sip.tcp asked for more than the framed message", n, len, asked);
        if (first != n)
            diff_fail("sip.tcp's first message has another length", n, len, first);
        /* with what follows: the first message still ends at n */
        if (len > n) {
            first = sip_first_message(tvb, pinfo, tree, p, len, &asked);
            if (first != n && first != G_MAXUINT32)
                diff_fail("with following bytes, sip.tcp's first message has another length", n, len,
                          first);
        }
        break;
    case TUME_SIP_FRAME_NEED_MORE:
        if (p[0] == '\r' || n == 0 || len < 2)
            break;   /* keep-alive halves and headers not yet whole: sip.tcp's own heuristics */
        /* the body is cut: sip.tcp must ask for exactly the missing bytes */
        first = sip_first_message(tvb, pinfo, tree, p, len, &asked);
        if (first != G_MAXUINT32 && asked != n)
            diff_fail("a cut body: sip.tcp asked for another amount", n, len, asked);
        break;
    case TUME_SIP_FRAME_CUT:
        /* compact "l:", body cut: sip.tcp shows the message cut short and
         * asks for nothing, so the plugin does not reassemble either */
        first = sip_first_message(tvb, pinfo, tree, p, len, &asked);
        if (first != G_MAXUINT32 && (asked != 0 || first != len))
            diff_fail("a compact length cut: sip.tcp asked for more, or did not take it all", n, len,
                      asked != 0 ? asked : first);
        break;
    default:
        break;   /* the plugin steps aside: nothing to agree on */
    }
}

static guint8 fz_mode;    /* 0: SIP over TLS, 1: HTTP API, 2: SIP framing differential */

static int
driver(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
    if (fz_mode == 2)
        run_diff(tvb, pinfo, tree);
    else
        run_records(tvb, pinfo, tree, fz_mode == 1);
    return (int)tvb_captured_length(tvb);
}

/* ---- libFuzzer ---- */

/* One epan session for the whole run, as in tshark: a new session per
 * input would cost all of libwireshark's init routines each time, and
 * libwireshark does not give all of that memory back.  File-scope memory
 * grows by a few hundred bytes per input, so long runs are made of
 * several processes (tests/fuzz_budget.sh). */
static void
fz_new_session(void)
{
    fz_epan = fz_epan_new();
#ifdef FUZZ_SIP_DIFF
    /* a visible tree: SIP sets its items' lengths only then */
    fz_edt = epan_dissect_new(fz_epan, TRUE, TRUE);
#else
    /* a tree, as tshark makes for the plugin's post-dissector */
    fz_edt = epan_dissect_new(fz_epan, TRUE, FALSE);
#endif
}

int
LLVMFuzzerInitialize(int *argc _U_, char ***argv _U_)
{
    g_setenv("WIRESHARK_DEBUG_WMEM_OVERRIDE", "simple", 0);
    g_setenv("G_SLICE", "always-malloc", 0);
    g_setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
    FZ_LOG_INIT();
    ws_log_set_level(LOG_LEVEL_CRITICAL);
    init_process_policies();
    FZ_CONFIGURATION_INIT((*argv)[0]);

    plugin_register();               /* static registration, before epan_init */
    wtap_init(FALSE);
    if (!FZ_EPAN_INIT())
        abort();
    epan_load_settings();
    prefs_apply_all();

    proto_fz = proto_get_id_by_filter_name("tls");
    proto_sip_id = proto_get_id_by_filter_name("sip");
    fz_http_tls = find_dissector("http-over-tls");
    fz_sip_tcp = find_dissector("sip.tcp");
    fz_tls_heur = find_heur_dissector_list("tls");
    if (proto_fz < 0 || proto_sip_id < 0 || fz_http_tls == NULL || fz_sip_tcp == NULL
        || fz_tls_heur == NULL || find_dissector("tume_sip") == NULL)
        abort();
    register_dissector("tume_fuzz_driver", driver, proto_fz);
    fz_new_session();
    return 0;
}

/* An exported-PDU frame: the driver's name, a TCP conversation to port 443
 * (a new client port per input, so inputs do not share flow state), then
 * the input. */
static guint8 *
make_frame(const uint8_t *data, size_t size, guint32 cport, guint *out_len)
{
    static const char name[] = "tume_fuzz_driver";
    GByteArray *f = g_byte_array_new();
    guint8 hdr[4];

#define TAG(t, l) do { hdr[0] = (guint8)((t) >> 8); hdr[1] = (guint8)(t); \
                       hdr[2] = (guint8)((l) >> 8); hdr[3] = (guint8)(l); \
                       g_byte_array_append(f, hdr, 4); } while (0)
    static const guint8 pad[4] = { 0, 0, 0, 0 };
    guint nl = (guint)strlen(name);
    TAG(EXP_PDU_TAG_DISSECTOR_NAME, nl);
    g_byte_array_append(f, (const guint8 *)name, nl);
    g_byte_array_append(f, pad, (4 - nl % 4) % 4);
    static const guint8 cli[4] = { 10, 0, 0, 1 }, srv[4] = { 10, 0, 0, 2 };
    TAG(EXP_PDU_TAG_IPV4_SRC, 4);
    g_byte_array_append(f, cli, 4);
    TAG(EXP_PDU_TAG_IPV4_DST, 4);
    g_byte_array_append(f, srv, 4);
    guint8 v[4];
    TAG(EXP_PDU_TAG_PORT_TYPE, 4);
    v[0] = v[1] = v[2] = 0; v[3] = EXP_PDU_PT_TCP;
    g_byte_array_append(f, v, 4);
    TAG(EXP_PDU_TAG_SRC_PORT, 4);
    v[0] = 0; v[1] = 0; v[2] = (guint8)(cport >> 8); v[3] = (guint8)cport;
    g_byte_array_append(f, v, 4);
    TAG(EXP_PDU_TAG_DST_PORT, 4);
    v[2] = 0x01; v[3] = 0xbb;  /* 443 */
    g_byte_array_append(f, v, 4);
    TAG(EXP_PDU_TAG_END_OF_OPT, 0);
#undef TAG
    g_byte_array_append(f, data, (guint)size);
    *out_len = f->len;
    return g_byte_array_free(f, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1024 * 1024)
        return 0;
#ifdef FUZZ_SIP_DIFF
    fz_mode = 2;
#else
    fz_mode = data[0] & 1;
#endif

    guint len;
    guint8 *frame = make_frame(data, size, 1024 + (fz_frame % 60000), &len);
    FZ_PRIME_POSTDISSECTOR_FIELDS(fz_edt);
    epan_dissect_prime_with_hfid(fz_edt, proto_sip_id);
    fz_dissect_frame(fz_edt, ++fz_frame, WTAP_ENCAP_WIRESHARK_UPPER_PDU, frame, len);
    g_free(frame);
    return 0;
}
