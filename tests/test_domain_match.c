/* Unit tests for plugin/domain_match.c (domain lists, User-Agent names).
 *
 * Copyright 2026 The TU Me plugin authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "domain_match.h"

static gboolean
dm(const tume_strlist_t *l, const char *host)
{
    return tume_domain_matches(l, (const guint8 *)host, strlen(host));
}

static gboolean
ua(const tume_strlist_t *l, const char *s)
{
    return tume_user_agent_matches(l, (const guint8 *)s, strlen(s));
}

static void
test_domain_list_parse(void)
{
    tume_strlist_t *l = tume_domain_list_new(" *.Jajah.COM, tu.com;;example.org. \t.dot.net ,jajah.com");
    g_assert_cmpuint(tume_strlist_count(l), ==, 4);
    g_assert_cmpstr(tume_strlist_get(l, 0), ==, "jajah.com");
    g_assert_cmpstr(tume_strlist_get(l, 1), ==, "tu.com");
    g_assert_cmpstr(tume_strlist_get(l, 2), ==, "example.org");
    g_assert_cmpstr(tume_strlist_get(l, 3), ==, "dot.net");
    g_assert_null(tume_strlist_get(l, 4));
    tume_strlist_free(l);

    l = tume_domain_list_new("");
    g_assert_cmpuint(tume_strlist_count(l), ==, 0);
    g_assert_false(dm(l, "jajah.com"));
    tume_strlist_free(l);
    l = tume_domain_list_new(NULL);
    g_assert_cmpuint(tume_strlist_count(l), ==, 0);
    tume_strlist_free(l);
    tume_strlist_free(NULL);
}

static void
test_domain_match(void)
{
    tume_strlist_t *l = tume_domain_list_new("jajah.com, tu.com");
    g_assert_true(dm(l, "jajah.com"));
    g_assert_true(dm(l, "sip.tume.jajah.com"));
    g_assert_true(dm(l, "SIP.TUME.JAJAH.COM."));
    g_assert_true(dm(l, "api.tu.com"));
    g_assert_false(dm(l, "notjajah.com"));
    g_assert_false(dm(l, "jajah.com.evil.org"));
    g_assert_false(dm(l, "ajah.com"));
    g_assert_false(dm(l, "com"));
    g_assert_false(dm(l, ""));
    g_assert_false(dm(l, "."));
    g_assert_false(dm(l, "example.org"));
    g_assert_false(tume_domain_matches(l, NULL, 0));
    g_assert_false(tume_domain_matches(NULL, (const guint8 *)"jajah.com", 9));
    /* the length bound: no match on absurdly long names */
    GString *s = g_string_new("");
    while (s->len < TUME_HOST_MAX)
        g_string_append(s, "a.");
    g_string_append(s, "jajah.com");
    g_assert_false(dm(l, s->str));
    g_string_free(s, TRUE);
    tume_strlist_free(l);
}

static void
test_host_role(void)
{
    tume_strlist_t *sig = tume_domain_list_new("jajah.com");
    tume_strlist_t *prov = tume_domain_list_new("tu.com, jajah.com, api.tume.jajah.com");
    const char *h;

#define ROLE(host) tume_host_role(sig, prov, (const guint8 *)(host), strlen(host))
    h = "sip.tume.jajah.com"; g_assert_cmpint(ROLE(h), ==, TUME_ROLE_SIGNALLING);  /* tie */
    h = "api.tu.com";         g_assert_cmpint(ROLE(h), ==, TUME_ROLE_PROVISIONING);
    h = "api.tume.jajah.com"; g_assert_cmpint(ROLE(h), ==, TUME_ROLE_PROVISIONING); /* more specific */
    h = "x.api.tume.jajah.com"; g_assert_cmpint(ROLE(h), ==, TUME_ROLE_PROVISIONING);
    h = "example.org";        g_assert_cmpint(ROLE(h), ==, TUME_ROLE_NONE);
    h = "";                   g_assert_cmpint(ROLE(h), ==, TUME_ROLE_NONE);
#undef ROLE
    h = "sip.tume.jajah.com";
    g_assert_cmpuint(tume_domain_match_len(prov, (const guint8 *)h, strlen(h)), ==, strlen("jajah.com"));
    tume_strlist_free(sig);
    tume_strlist_free(prov);
}

static void
test_user_agent(void)
{
    tume_strlist_t *l = tume_product_list_new("TU Me, TUMe");
    g_assert_cmpuint(tume_strlist_count(l), ==, 2);
    g_assert_cmpstr(tume_strlist_get(l, 0), ==, "tu me");
    g_assert_true(ua(l, "TU Me/1.0 (iPhone; iOS 5.1)"));
    g_assert_true(ua(l, "tume/2.1"));
    g_assert_true(ua(l, "Telefonica TUMe"));
    g_assert_false(ua(l, "Tumeric/2.0"));
    g_assert_false(ua(l, "Linphone/3.5.2 (belle-sip)"));
    g_assert_false(ua(l, "TU Meeting/1"));
    g_assert_false(ua(l, "STU Me"));
    g_assert_false(ua(l, ""));
    tume_strlist_free(l);

    l = tume_product_list_new("");
    g_assert_false(ua(l, "TU Me/1.0"));
    tume_strlist_free(l);
}

static void
test_list_cap(void)
{
    GString *s = g_string_new("");
    for (int i = 0; i < TUME_LIST_MAX + 10; i++)
        g_string_append_printf(s, "d%d.example,", i);
    tume_strlist_t *l = tume_domain_list_new(s->str);
    g_assert_cmpuint(tume_strlist_count(l), ==, TUME_LIST_MAX);
    tume_strlist_free(l);
    g_string_free(s, TRUE);
}

#define B(lit) (const guint8 *)(lit), sizeof(lit) - 1

static void
test_host_name_valid(void)
{
    g_assert_true(tume_host_name_valid(B("sip.tume.jajah.com")));
    g_assert_true(tume_host_name_valid(B("sip.tume.jajah.com.")));
    g_assert_true(tume_host_name_valid(B("a")));
    g_assert_true(tume_host_name_valid(B("_sip._tls.example-1.org")));
    g_assert_true(tume_host_name_valid(B("10.0.0.1")));
    /* a NUL, a tab, a line end, a space, non-ASCII, empty labels, lengths */
    g_assert_false(tume_host_name_valid(B("jajah.com\0evil.ex")));
    g_assert_false(tume_host_name_valid(B("a\tb.jajah.com")));
    g_assert_false(tume_host_name_valid(B("a\nb.jajah.com")));
    g_assert_false(tume_host_name_valid(B("a b.jajah.com")));
    g_assert_false(tume_host_name_valid(B("sip.tume.jajah.co\xff")));
    g_assert_false(tume_host_name_valid(B("sip..jajah.com")));
    g_assert_false(tume_host_name_valid(B(".jajah.com")));
    g_assert_false(tume_host_name_valid(B(".")));
    g_assert_false(tume_host_name_valid(B("")));
    g_assert_false(tume_host_name_valid(NULL, 3));
    g_assert_false(tume_host_name_valid(B("jajah.com:443")));
    char label[65];
    memset(label, 'a', 64);
    label[64] = '\0';
    g_assert_false(tume_host_name_valid((const guint8 *)label, 64));
    g_assert_true(tume_host_name_valid((const guint8 *)label, 63));
    char longname[260];
    for (int i = 0; i < 255; i++)
        longname[i] = (i % 2) ? '.' : 'a';
    g_assert_false(tume_host_name_valid((const guint8 *)longname, 255));
    g_assert_true(tume_host_name_valid((const guint8 *)longname, 253));
}

static void
test_printable(void)
{
    gchar *p = tume_printable(B("jajah.com\0evil\t\n\\\xff"), 64);
    g_assert_cmpstr(p, ==, "jajah.com\\x00evil\\x09\\x0a\\x5c\\xff");
    g_free(p);
    p = tume_printable(B("sip.tume.jajah.com"), 64);
    g_assert_cmpstr(p, ==, "sip.tume.jajah.com");
    g_free(p);
    p = tume_printable(B("abcdef"), 3);
    g_assert_cmpstr(p, ==, "abc");
    g_free(p);
    p = tume_printable(NULL, 3, 3);
    g_assert_cmpstr(p, ==, "");
    g_free(p);
}

static void
test_interceptors(void)
{
    tume_strlist_t *l = tume_interceptor_list_new("mitmproxy=mitmproxy, Burp Suite=PortSwigger; "
                                                  "DO_NOT_TRUST_FiddlerRoot, =nolabel, empty=, x=y=z");
    /* "=nolabel" and "empty=" are dropped; "x=y=z": label x, text "y=z" */
    g_assert_cmpuint(tume_strlist_count(l), ==, 4);
    g_assert_cmpstr(tume_interceptor_match(l, "O=mitmproxy,CN=mitmproxy"), ==, "mitmproxy");
    g_assert_cmpstr(tume_interceptor_match(l, "CN=PortSwigger CA,OU=PortSwigger CA,O=PortSwigger,C=PortSwigger"),
                    ==, "Burp Suite");
    g_assert_cmpstr(tume_interceptor_match(l, "CN=portswigger ca"), ==, "Burp Suite");      /* any case */
    g_assert_cmpstr(tume_interceptor_match(l, "O=DO_NOT_TRUST,CN=DO_NOT_TRUST_FiddlerRoot"), ==,
                    "DO_NOT_TRUST_FiddlerRoot");                                          /* label = text */
    g_assert_cmpstr(tume_interceptor_match(l, "CN=a,O=y=z"), ==, "x");
    g_assert_null(tume_interceptor_match(l, "CN=TU Me Test Root CA,O=Example Test PKI,C=ES"));
    g_assert_null(tume_interceptor_match(l, "CN=Mitm,O=proxy"));
    g_assert_null(tume_interceptor_match(l, NULL));
    g_assert_null(tume_interceptor_match(NULL, "O=mitmproxy"));
    tume_strlist_free(l);
    l = tume_interceptor_list_new("");
    g_assert_cmpuint(tume_strlist_count(l), ==, 0);
    g_assert_null(tume_interceptor_match(l, "O=mitmproxy,CN=mitmproxy"));
    tume_strlist_free(l);
    l = tume_interceptor_list_new(NULL);
    g_assert_cmpuint(tume_strlist_count(l), ==, 0);
    tume_strlist_free(l);
    /* bounded like every list */
    GString *many = g_string_new(NULL);
    for (guint i = 0; i < TUME_LIST_MAX + 10; i++)
        g_string_append_printf(many, "p%u=text%u,", i, i);
    l = tume_interceptor_list_new(many->str);
    g_assert_cmpuint(tume_strlist_count(l), ==, TUME_LIST_MAX);
    tume_strlist_free(l);
    g_string_free(many, TRUE);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/domain/list-parse", test_domain_list_parse);
    g_test_add_func("/domain/match", test_domain_match);
    g_test_add_func("/domain/host-role", test_host_role);
    g_test_add_func("/domain/user-agent", test_user_agent);
    g_test_add_func("/domain/list-cap", test_list_cap);
    g_test_add_func("/domain/host-name-valid", test_host_name_valid);
    g_test_add_func("/domain/printable", test_printable);
    g_test_add_func("/domain/interceptors", test_interceptors);
    return g_test_run();
}
