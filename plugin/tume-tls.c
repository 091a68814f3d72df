/* tume-tls.c - who is on the other end: SNI, the server certificate and
 * whether the payload was decrypted, as TU Me flow evidence.
 *
 * The post-dissector (packet-tume.c) primes the Wireshark fields listed in
 * tume_tls_wanted_hfids() and, on the first pass only, hands each packet of
 * a TLS flow to tume_tls_first_pass(), which records what the handshake
 * showed.  Certificates are parsed by GnuTLS (cert_parse.c) once per distinct
 * DER per capture file, from the bytes Wireshark's TLS dissector found:
 * TLS 1.0-1.2 in clear, TLS 1.3 once keys decrypt the handshake.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/to_str.h>
#include <wsutil/wmem/wmem_map.h>

#include "tume-tls.h"
#include "compat.h"
#include "cert_parse.h"

static expert_field ei_tume_cert_info = EI_INIT;
static expert_field ei_tume_cert_unparsable = EI_INIT;
static expert_field ei_tume_cert_expired = EI_INIT;
static expert_field ei_tume_cert_not_yet_valid = EI_INIT;
static expert_field ei_tume_cert_self_signed = EI_INIT;
static expert_field ei_tume_cert_sni_mismatch = EI_INIT;
static expert_field ei_tume_not_decrypted = EI_INIT;

/* Wireshark's own fields we read */
static int hf_ws_hs_type = -1;
static int hf_ws_sni = -1;
static int hf_ws_cert = -1;
static int hf_ws_app_data = -1;
static int hf_ws_cipher_suite = -1;

#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2

/* DER -> parsed certificate, per capture file */
static wmem_map_t *cert_cache;

typedef struct {
    guint         len;
    const guint8 *der;
} der_key_t;

static guint
der_hash(gconstpointer k)
{
    const der_key_t *key = (const der_key_t *)k;
    guint h = 2166136261u;                 /* FNV-1a */
    for (guint i = 0; i < key->len; i++)
        h = (h ^ key->der[i]) * 16777619u;
    return h;
}

static gboolean
der_equal(gconstpointer a, gconstpointer b)
{
    const der_key_t *x = (const der_key_t *)a, *y = (const der_key_t *)b;
    return x->len == y->len && memcmp(x->der, y->der, x->len) == 0;
}

static void
free_gnutls_views(gpointer key _U_, gpointer value, gpointer user_data _U_)
{
    tume_cert_info_t *ci = (tume_cert_info_t *)value;
    tume_cert_free((tume_cert_t *)ci->gnutls_view);
    ci->gnutls_view = NULL;
}

static void
tume_tls_init(void)
{
    cert_cache = wmem_map_new(wmem_file_scope(), der_hash, der_equal);
}

static void
tume_tls_cleanup(void)
{
    if (cert_cache != NULL)
        wmem_map_foreach(cert_cache, free_gnutls_views, NULL);
    cert_cache = NULL;       /* the map itself goes with the file scope */
}

/* Parse (or find) the certificate of these DER bytes. */
static const tume_cert_info_t *
cert_lookup(const guint8 *der, guint len)
{
    der_key_t probe = { len, der };
    tume_cert_info_t *ci;

    if (cert_cache == NULL)
        return NULL;
    ci = (tume_cert_info_t *)wmem_map_lookup(cert_cache, &probe);
    if (ci != NULL)
        return ci;

    der_key_t *key = wmem_new(wmem_file_scope(), der_key_t);
    key->len = len;
    key->der = (const guint8 *)wmem_memdup(wmem_file_scope(), der, len);
    ci = wmem_new0(wmem_file_scope(), tume_cert_info_t);
    tume_cert_t *c = tume_cert_parse(der, len, &ci->error);
    if (c != NULL) {
        ci->parsed = TRUE;
        ci->subject = wmem_strdup(wmem_file_scope(), c->subject);
        ci->issuer = wmem_strdup(wmem_file_scope(), c->issuer);
        ci->subject_cn = c->subject_cn ? wmem_strdup(wmem_file_scope(), c->subject_cn) : NULL;
        ci->san_count = c->san_dns->len;
        ci->san = wmem_alloc0_array(wmem_file_scope(), const gchar *, MAX(ci->san_count, 1));
        for (guint i = 0; i < ci->san_count; i++)
            ci->san[i] = wmem_strdup(wmem_file_scope(), (const gchar *)g_ptr_array_index(c->san_dns, i));
        ci->not_before = c->not_before;
        ci->not_after = c->not_after;
        ci->self_signed = c->self_signed;
        ci->gnutls_view = c;             /* freed by tume_tls_cleanup */
    }
    wmem_map_insert(cert_cache, key, ci);
    return ci;
}

static const char *
role_name(tume_flow_kind_t k)
{
    return k == TUME_FLOW_SIGNALLING ? "signalling" : k == TUME_FLOW_PROVISIONING ? "provisioning" : "TU Me";
}

static GPtrArray *
fields_of(proto_tree *tree, int hf)
{
    if (tree == NULL || hf <= 0)
        return NULL;
    GPtrArray *a = proto_get_finfo_ptr_array(tree, hf);
    return (a != NULL && a->len > 0) ? a : NULL;
}

void
tume_tls_wanted_hfids(GArray *wanted)
{
    int ids[] = { hf_ws_hs_type, hf_ws_sni, hf_ws_cert, hf_ws_app_data, hf_ws_cipher_suite };
    tume_want_hfids(wanted, ids, G_N_ELEMENTS(ids));
}

static gboolean
from_server(packet_info *pinfo, const tume_flow_t *flow)
{
    if (flow->server_addr.type == AT_NONE)
        return TRUE;             /* no ClientHello seen: trust the certificate's sender */
    return pinfo->srcport == flow->server_port && addresses_equal(&pinfo->src, &flow->server_addr);
}

void
tume_tls_first_pass(packet_info *pinfo, proto_tree *tree, tume_flow_t *flow, tume_pkt_t *pkt)
{
    GPtrArray *a;
    guint32 ev = 0;

    if ((a = fields_of(tree, hf_ws_hs_type)) != NULL) {
        for (guint i = 0; i < a->len; i++) {
            guint32 t = tume_fvalue_uint((field_info *)g_ptr_array_index(a, i));
            if (t == TLS_HS_CLIENT_HELLO && flow->server_addr.type == AT_NONE) {
                copy_address_wmem(wmem_file_scope(), &flow->server_addr, &pinfo->dst);
                flow->server_port = pinfo->destport;
            }
        }
    }
    if (flow->sni == NULL && (a = fields_of(tree, hf_ws_sni)) != NULL) {
        field_info *fi = (field_info *)g_ptr_array_index(a, 0);
        flow->sni = (const gchar *)tvb_get_string_enc(wmem_file_scope(), fi->ds_tvb, fi->start,
                                                      MIN(fi->length, TUME_HOST_MAX), ENC_ASCII);
        ev |= tume_host_evidence(flow->sni, TUME_EV_SNI, &flow->host_kind);
    }
    if (flow->cipher_suite == 0 && (a = fields_of(tree, hf_ws_cipher_suite)) != NULL
        && from_server(pinfo, flow))
        flow->cipher_suite = tume_fvalue_uint((field_info *)g_ptr_array_index(a, 0));
    if (flow->cert == NULL && (a = fields_of(tree, hf_ws_cert)) != NULL && from_server(pinfo, flow)) {
        /* the first certificate of the server's chain is its own */
        field_info *fi = (field_info *)g_ptr_array_index(a, 0);
        if (fi->length > 0 && fi->length <= TUME_CERT_DER_MAX) {
            const guint8 *der = tvb_get_ptr(fi->ds_tvb, fi->start, fi->length);
            flow->cert = cert_lookup(der, (guint)fi->length);
            flow->cert_frame = pinfo->num;
            pkt->cert_here = TRUE;
            if (flow->cert != NULL && flow->cert->parsed) {
                ev |= tume_host_evidence(flow->cert->subject_cn, TUME_EV_CERT_SUBJECT, &flow->host_kind);
                for (guint i = 0; i < flow->cert->san_count; i++) {
                    /* "*.tume.jajah.com" is under jajah.com like its names are */
                    const char *san = flow->cert->san[i];
                    if (san[0] == '*' && san[1] == '.')
                        san += 2;
                    ev |= tume_host_evidence(san, TUME_EV_CERT_SAN, &flow->host_kind);
                }
            }
        }
    }
    if (fields_of(tree, hf_ws_app_data) != NULL) {
        if (tume_has_data_source(pinfo, "Decrypted TLS"))
            flow->decrypted = TRUE;
        else if (!flow->decrypted && flow->not_decrypted_frame == 0)
            flow->not_decrypted_frame = pinfo->num;
    }
    if (ev)
        tume_flow_add_evidence(flow, pinfo, ev);
}

static gboolean
is_rsa_key_exchange(guint32 suite)
{
    header_field_info *hfi;
    const char *name;

    if (suite == 0 || hf_ws_cipher_suite <= 0)
        return FALSE;
    hfi = proto_registrar_get_nth(hf_ws_cipher_suite);
    if (hfi == NULL || hfi->strings == NULL || !(hfi->display & BASE_EXT_STRING))
        return FALSE;
    name = val_to_str_ext_const(suite, (value_string_ext *)hfi->strings, "");
    return g_str_has_prefix(name, "TLS_RSA_WITH_") || g_str_has_prefix(name, "SSL_RSA_WITH_");
}

static gchar *
utc_string(wmem_allocator_t *scope, gint64 secs)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(secs);
    gchar *s;
    if (dt == NULL)
        return wmem_strdup(scope, "?");
    gchar *g = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC");
    s = wmem_strdup(scope, g);
    g_free(g);
    g_date_time_unref(dt);
    return s;
}

void
tume_tls_add_packet_items(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tt,
                          const tume_flow_t *flow, const tume_pkt_t *pkt)
{
    const char *role = role_name(tume_flow_kind(flow));

    if (pkt->cert_here && flow->cert != NULL) {
        const tume_cert_info_t *c = flow->cert;
        if (!c->parsed) {
            proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_unparsable, tvb, 0, 0,
                                         "TU Me server certificate could not be read: %s", c->error);
        } else {
            gint64 now = (gint64)pinfo->abs_ts.secs;
            proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_info, tvb, 0, 0,
                                         "TU Me %s server certificate issued by %s to %s",
                                         role, c->issuer, c->subject);
            if (c->not_after != G_MININT64 && now > c->not_after)
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_expired, tvb, 0, 0,
                    "TU Me server certificate expired on %s, before the capture (%s)",
                    utc_string(pinfo->pool, c->not_after), utc_string(pinfo->pool, now));
            if (c->not_before != G_MININT64 && now < c->not_before)
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_not_yet_valid, tvb, 0, 0,
                    "TU Me server certificate not valid before %s, after the capture (%s)",
                    utc_string(pinfo->pool, c->not_before), utc_string(pinfo->pool, now));
            if (c->self_signed)
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_self_signed, tvb, 0, 0,
                    "TU Me server certificate is self-signed (%s)", c->subject);
            if (flow->sni != NULL && !tume_cert_covers_host((const tume_cert_t *)c->gnutls_view, flow->sni))
                proto_tree_add_expert_format(tt, pinfo, &ei_tume_cert_sni_mismatch, tvb, 0, 0,
                    "TU Me server certificate does not cover the SNI %s", flow->sni);
        }
    }
    if (flow->not_decrypted_frame == pinfo->num) {
        if (is_rsa_key_exchange(flow->cipher_suite))
            proto_tree_add_expert_format(tt, pinfo, &ei_tume_not_decrypted, tvb, 0, 0,
                "TU Me %s flow not decrypted: give its TLS key log (tls.keylog_file or a pcapng "
                "Decryption Secrets Block) or, as its cipher suite uses RSA key exchange, the "
                "server's RSA private key (uat:rsa_keys)", role);
        else
            proto_tree_add_expert_format(tt, pinfo, &ei_tume_not_decrypted, tvb, 0, 0,
                "TU Me %s flow not decrypted: give its TLS key log (tls.keylog_file or a pcapng "
                "Decryption Secrets Block); an RSA key cannot help, the key exchange is not RSA",
                role);
    }
}

void
tume_tls_register(void)
{
    static ei_register_info ei[] = {
        { &ei_tume_cert_info,
          { "tume.cert.info", PI_SECURITY, PI_NOTE, "TU Me server certificate", EXPFILL } },
        { &ei_tume_cert_unparsable,
          { "tume.cert.unparsable", PI_MALFORMED, PI_WARN, "TU Me server certificate unreadable", EXPFILL } },
        { &ei_tume_cert_expired,
          { "tume.cert.warn.expired", PI_SECURITY, PI_WARN, "TU Me server certificate expired", EXPFILL } },
        { &ei_tume_cert_not_yet_valid,
          { "tume.cert.warn.not_yet_valid", PI_SECURITY, PI_WARN, "TU Me server certificate not yet valid", EXPFILL } },
        { &ei_tume_cert_self_signed,
          { "tume.cert.warn.self_signed", PI_SECURITY, PI_WARN, "TU Me server certificate self-signed", EXPFILL } },
        { &ei_tume_cert_sni_mismatch,
          { "tume.cert.warn.sni_mismatch", PI_SECURITY, PI_WARN, "TU Me server certificate does not cover the SNI", EXPFILL } },
        { &ei_tume_not_decrypted,
          { "tume.not_decrypted", PI_UNDECODED, PI_NOTE, "TU Me flow not decrypted", EXPFILL } },
    };
    expert_module_t *em;

    em = expert_register_protocol(proto_tume);
    expert_register_field_array(em, ei, array_length(ei));
    register_init_routine(tume_tls_init);
    register_cleanup_routine(tume_tls_cleanup);
}

void
tume_tls_handoff(void)
{
    hf_ws_hs_type = proto_registrar_get_id_byname("tls.handshake.type");
    hf_ws_sni = proto_registrar_get_id_byname("tls.handshake.extensions_server_name");
    hf_ws_cert = proto_registrar_get_id_byname("tls.handshake.certificate");
    hf_ws_app_data = proto_registrar_get_id_byname("tls.app_data");
    hf_ws_cipher_suite = proto_registrar_get_id_byname("tls.handshake.ciphersuite");
}
