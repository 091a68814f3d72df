/* fuzz_epan_compat.h - the libwireshark start-up and frame API differences
 * (4.0, 4.4, 4.6) that the epan-level fuzz harness touches.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TUME_FUZZ_EPAN_COMPAT_H
#define TUME_FUZZ_EPAN_COMPAT_H

#include <ws_version.h>
#include <wsutil/filesystem.h>
#include <wsutil/wslog.h>

#define FZ_WS_AT_LEAST(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

#ifdef TUME_HAVE_TLSINFO
#include <epan/dissectors/packet-tls.h>
/* The "tls" heuristics get a struct tlsinfo whose app_handle points at the
 * session's handle. */
static struct tlsinfo fz_tlsinfo;
static inline void *
fz_tls_heur_data(dissector_handle_t *app)
{
    memset(&fz_tlsinfo, 0, sizeof fz_tlsinfo);
    fz_tlsinfo.app_handle = app;
    return &fz_tlsinfo;
}
#define FZ_TLS_HEUR_DATA(app) fz_tls_heur_data(app)
#else
/* 4.0: the address of the session's handle. */
#define FZ_TLS_HEUR_DATA(app) ((void *)(app))
#endif

#if FZ_WS_AT_LEAST(4, 6)
#define FZ_CONFIGURATION_INIT(arg0) g_free(configuration_init(arg0))
#define FZ_LOG_INIT() ws_log_init(NULL)
#else
#define FZ_CONFIGURATION_INIT(arg0) g_free(configuration_init(arg0, NULL))
#define FZ_LOG_INIT() ws_log_init("fuzz_epan", NULL)
#endif

#define FZ_EPAN_INIT() epan_init(NULL, NULL, FALSE)

/* Priming the post-dissectors' wanted fields: tshark's job before 4.6,
 * done by epan itself (and no longer exported) from 4.6 on. */
#if FZ_WS_AT_LEAST(4, 6)
#define FZ_PRIME_POSTDISSECTOR_FIELDS(edt) ((void)(edt))
#else
#define FZ_PRIME_POSTDISSECTOR_FIELDS(edt) prime_epan_dissect_with_postdissector_wanted_hfids(edt)
#endif

/* Dissects one frame of encapsulation encap holding bytes[0..len). */
static inline void
fz_dissect_frame(epan_dissect_t *edt, guint32 num, int encap, guint8 *bytes, guint len)
{
    wtap_rec rec;
    frame_data fd;

#if FZ_WS_AT_LEAST(4, 6)
    wtap_rec_init(&rec, len);
    wtap_setup_packet_rec(&rec, encap);
    rec.rec_header.packet_header.caplen = len;
    rec.rec_header.packet_header.len = len;
    rec.presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN;
    ws_buffer_append(&rec.data, bytes, len);
    frame_data_init(&fd, num, &rec, 0, 0);
    epan_dissect_run(edt, WTAP_FILE_TYPE_SUBTYPE_UNKNOWN, &rec, &fd, NULL);
    frame_data_destroy(&fd);
    epan_dissect_reset(edt);
    wtap_rec_cleanup(&rec);
#else
    memset(&rec, 0, sizeof rec);
    rec.rec_type = REC_TYPE_PACKET;
    rec.rec_header.packet_header.caplen = len;
    rec.rec_header.packet_header.len = len;
    rec.rec_header.packet_header.pkt_encap = encap;
    rec.presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN;
    frame_data_init(&fd, num, &rec, 0, 0);
    epan_dissect_run(edt, WTAP_FILE_TYPE_SUBTYPE_UNKNOWN, &rec, tvb_new_real_data(bytes, len, len), &fd, NULL);
    frame_data_destroy(&fd);
    epan_dissect_reset(edt);
#endif
}

#endif /* TUME_FUZZ_EPAN_COMPAT_H */
