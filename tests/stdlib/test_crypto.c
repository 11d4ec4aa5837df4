/* Unit tests for the crypto area: crypto.*, crypto.x509.*, io.jwt.* and
 * providers.aws.sign_req, called through the builtin table.
 *
 * Most cases are OPA's own conformance cases (v1/jwt*, v1/crypto*,
 * v1/providers-aws), rewritten as data: each row names the builtin, its
 * operands as JSON (Rego sets written as arrays, which these builtins
 * treat alike) and the expected value or error substring OPA gives. Long
 * tokens and certificates are shared through S<n> macros. The hand-written
 * tests after the table cover what the rows cannot express (round trips,
 * type errors, OOM, clock-dependent cases).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stdlib/builtins.h"
#include "test.h"

typedef enum check_kind {
    CK_EQ,     /* result equals want */
    CK_ERR,    /* fails; message contains want */
    CK_CN,     /* Subject.CommonName of each certificate (or of the CSR) */
    CK_URIS,   /* URIStrings of the first certificate */
    CK_VERIFY, /* parse_and_verify: {"valid", "certs": [{CN, DNS, URI}]} */
    CK_CERT0,  /* parse_keypair: Certificate[0] */
    CK_COUNT,  /* array of this many elements */
} check_kind;

typedef struct conf_case {
    const char *note, *name;
    const char *args[3]; /* JSON text of each operand */
    check_kind kind;
    const char *want;
} conf_case;

/* 2026-01-01T00:00:00Z: inside every test certificate's validity. */
#define NOW_NS INT64_C(1767225600000000000)

static arena A;
static bi_ctx C;

static const val *J(const char *s)
{
    json_error e;
    const val *v = json_parse(&A, s, strlen(s), &e);
    if (!v)
        fprintf(stderr, "bad test JSON (%s): %.80s\n", e.msg, s);
    return v;
}

static bi_status call(const char *name, const val **args, const val **out)
{
    int id = bi_lookup(name, strlen(name));
    if (id < 0) {
        fprintf(stderr, "no builtin %s\n", name);
        return BI_ERR;
    }
    C.err_code = POL_OK;
    C.err_msg[0] = '\0';
    *out = NULL;
    return bi_table[id].fn(&C, args, out);
}

static const char *show(const val *v)
{
    static char buf[4096]; /* test-only scratch */
    sbuf b;
    sb_init(&b, buf, sizeof buf);
    if (v)
        json_write(&b, v, 0);
    else
        sb_puts(&b, "(undefined)");
    buf[b.len < sizeof buf ? b.len : sizeof buf - 1] = '\0';
    return buf;
}

static const val *get(const val *o, const char *k)
{
    return o && o->type == V_OBJ ? val_obj_get_str(o, k, strlen(k)) : NULL;
}

#define S0                                                                                                   \
    "\"24257d7210582a65c731ec55159c8184cc24c02489453e58587f71f44c23a2d61b4b72154a89d17b2d49448a8452ea066f4f" \
    "c56a2bcead45c088572ffccdb3d8\""
#define S1                                                                                                   \
    "\"192f5afded233d6e21427aa26ed267ac118cfa2971013d91cbed530c0b208d78138b83dfe1d6cc3553d7bd518f22a481402c" \
    "723028e1279d1ffbe8f11ea6b125\""
#define S2                                                                                                   \
    "\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQ21EQ0NBWUFDQVFBd1V6RUxNQWtHQTFVRUJoTUNWVk14RkRB" \
    "U0JnTlZCQU1NQzJWNFlXMXdiR1V1WTI5dApNUW93Q0FZRFZRUUhEQUVnTVFvd0NBWURWUVFLREFFZ01Rb3dDQVlEVlFRSURBRWdNUW" \
    "93Q0FZRFZRUUxEQUVnCk1JSUJJakFOQmdrcWhraUc5dzBCQVFFRkFBT0NBUThBTUlJQkNnS0NBUUVBMlpkaG1zaERBVTBYYnhnTk1G" \
    "QWsKeEdWQnNjaHdWb2s5dXBBU2ZVWDA4VFlqMFZrV0VxNitmemdOdmRQSnd6Nm1lUDlnL01hRmhPYW91Nmh1UEhmbwpTVTlKN1FiTW" \
    "56Uktsc0VJTzNodEM1QUt3OXYyZldVZGpCQS92Q1dZdXU1aUc1ZTdtUHNXWjd1cGxuVGZSekM4ClJLK0srWXJtNEQ4NHE1bHR5NEMz" \
    "S2tRc0FjU0xQZk9MMXMvYjJyV21KR0FoV3NSa2doTVk2V3dza3VYWXRINTkKRzl5VURHUUhoalprcHFlZFY0OUM4c0NwMU8vWVpvU0" \
    "hncDdHK0JiaFRta05CRzY3OFZHREplTnB3SG96dnRjVQpyQVNGRFJ4WnhPdTFHRzE3L1FiVW9SNVVkOTNwaUtaU0U2UHVDU2VCcy9U" \
    "QmFJc3ZwUGtudVhkOXI4WGovbVd5CmtRSURBUUFCb0FBd0RRWUpLb1pJaHZjTkFRRUxCUUFEZ2dFQkFBeDJkaCtkMU1CaEwwaDJYZk" \
    "lxaDVEYy9lYWoKU0xadGFNTWlJY1h1cC96UTl2eENXSkZlSGYzczBJdXliMEhkMlZNZ1BSYU8ydWRkY2JZdFFlKzJnWUtrTzFMWApC" \
    "dHdQcXcwWHAweUF2dDUxRzJvZmVCbCtFa0ptNjk3RlNtemg4eDJJZFFBSkMzWi9ROFdMVmh3NFg2WlVicnhqCjJnTjJmaVhjS0RKbG" \
    "VkcUgxY2V4WVVvbnlLSDZubG4wbzQzUUtEOFlSZG9hNVFqb3Ixb0JkY3dSTTA0VDM4ak0KV1B3d2JZTjNrVE9Ea0tiaVFVVWxVeFZu" \
    "NnFnZTlNTWt0c0lOWkc0eDY1QmIwaWxTdHExRWQwN2Y5NmVnbHNKaApZVE9VRnZpZDZVSkVEcEJzcjhyZFROSW1JQkhCdkkra1BHS2" \
    "FqcW83Z0VNc3hFYkNkemFHUTNZZnNYWT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUgUkVRVUVTVC0tLS0t\""
#define S3                                                                                                   \
    "\"-----BEGIN CERTIFICATE "                                                                              \
    "REQUEST-----"                                                                                           \
    "\\nMIICmDCCAYACAQAwUzELMAkGA1UEBhMCVVMxFDASBgNVBAMMC2V4YW1wbGUuY29t\\nMQowCAYDVQQHDAEgMQowCAYDVQQKDAEg" \
    "MQowCAYDVQQIDAEgMQowCAYDVQQLDAEg\\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2ZdhmshDAU0XbxgNMFAk\\n" \
    "xGVBschwVok9upASfUX08TYj0VkWEq6+fzgNvdPJwz6meP9g/"                                                      \
    "MaFhOaou6huPHfo\\nSU9J7QbMnzRKlsEIO3htC5AKw9v2fWUdjBA/"                                                 \
    "vCWYuu5iG5e7mPsWZ7uplnTfRzC8\\nRK+K+Yrm4D84q5lty4C3KkQsAcSLPfOL1s/"                                     \
    "b2rWmJGAhWsRkghMY6WwskuXYtH59\\nG9yUDGQHhjZkpqedV49C8sCp1O/"                                            \
    "YZoSHgp7G+BbhTmkNBG678VGDJeNpwHozvtcU\\nrASFDRxZxOu1GG17/QbUoR5Ud93piKZSE6PuCSeBs/TBaIsvpPknuXd9r8Xj/"  \
    "mWy\\nkQIDAQABoAAwDQYJKoZIhvcNAQELBQADggEBAAx2dh+d1MBhL0h2XfIqh5Dc/eaj\\nSLZtaMMiIcXup/"                \
    "zQ9vxCWJFeHf3s0Iuyb0Hd2VMgPRaO2uddcbYtQe+2gYKkO1LX\\nBtwPqw0Xp0yAvt51G2ofeBl+EkJm697FSmzh8x2IdQAJC3Z/"  \
    "Q8WLVhw4X6ZUbrxj\\n2gN2fiXcKDJledqH1cexYUonyKH6nln0o43QKD8YRdoa5Qjor1oBdcwRM04T38jM\\nWPwwbYN3kTODkKbi" \
    "QUUlUxVn6qge9MMktsINZG4x65Bb0ilStq1Ed07f96eglsJh\\nYTOUFvid6UJEDpBsr8rdTNImIBHBvI+"                     \
    "kPGKajqo7gEMsxEbCdzaGQ3YfsXY=\\n-----END CERTIFICATE REQUEST-----\""
#define S4                                                                                                   \
    "\"MIICmDCCAYACAQAwUzELMAkGA1UEBhMCVVMxFDASBgNVBAMMC2V4YW1wbGUuY29tMQowCAYDVQQHDAEgMQowCAYDVQQKDAEgMQow" \
    "CAYDVQQIDAEgMQowCAYDVQQLDAEgMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2ZdhmshDAU0XbxgNMFAkxGVBschwVo" \
    "k9upASfUX08TYj0VkWEq6+fzgNvdPJwz6meP9g/MaFhOaou6huPHfoSU9J7QbMnzRKlsEIO3htC5AKw9v2fWUdjBA/"             \
    "vCWYuu5iG5e7mPsWZ7uplnTfRzC8RK+K+Yrm4D84q5lty4C3KkQsAcSLPfOL1s/"                                        \
    "b2rWmJGAhWsRkghMY6WwskuXYtH59G9yUDGQHhjZkpqedV49C8sCp1O/"                                               \
    "YZoSHgp7G+BbhTmkNBG678VGDJeNpwHozvtcUrASFDRxZxOu1GG17/QbUoR5Ud93piKZSE6PuCSeBs/TBaIsvpPknuXd9r8Xj/"     \
    "mWykQIDAQABoAAwDQYJKoZIhvcNAQELBQADggEBAAx2dh+d1MBhL0h2XfIqh5Dc/eajSLZtaMMiIcXup/"                      \
    "zQ9vxCWJFeHf3s0Iuyb0Hd2VMgPRaO2uddcbYtQe+2gYKkO1LXBtwPqw0Xp0yAvt51G2ofeBl+EkJm697FSmzh8x2IdQAJC3Z/"     \
    "Q8WLVhw4X6ZUbrxj2gN2fiXcKDJledqH1cexYUonyKH6nln0o43QKD8YRdoa5Qjor1oBdcwRM04T38jMWPwwbYN3kTODkKbiQUUlUx" \
    "Vn6qge9MMktsINZG4x65Bb0ilStq1Ed07f96eglsJhYTOUFvid6UJEDpBsr8rdTNImIBHBvI+kPGKajqo7gEMsxEbCdzaGQ3YfsXY=" \
    "\""
#define S5                                                                                                   \
    "\"-----BEGIN RSA PRIVATE "                                                                              \
    "KEY-----\\nMIIEowIBAAKCAQEA9D/"                                                                         \
    "bK4171aiTNUkrUCHKGMLSQooV+o3wdz2889h9iv0HhhBJ\\nCAGU54K3duB8ofHpmYL50QodcR4RLw1vSkaI+FPdPDMyKxKj/"      \
    "YcmofJjz4kW+Iqw\\nFbBcbMnKnEVzye+CyW9YYOTu0xWtcgen80zGp2opG0GZX86hBjjXJnjOdrJTk6x2\\nNAiJIbjsQevysmj+"  \
    "2MyqVm8widxw0x+rGhTaCD+ZXWitN0a0WO1aaA8c/"                                                              \
    "7i99I9z\\nhe2peKvXzEtMaqYO9ptHcYmq2z0QWvZuJVMv5Yn0mScLWyh91R099IOtn6sNaMMs\\nOyTpi7E/"                  \
    "2IlVgI2uKGPEopKkMFV8Fl2YaAbo7wIDAQABAoIBAAyMZ08ygqU0dvOq\\n4a3JPp/NCo5el8h6mFsX8eg5PCHy4/"              \
    "sQRSBDLIpEXfaei+iqDA1V/E2wDlksaUeY\\nkhony4uui1Q3cSFjYMd6tRJm6JfV/"                                     \
    "DcisO88U1NHfsBOlSdPxdFhhhHcUSTJHVMZ\\nb5iBXkdlnd0HnsCcVguCyhLw6/KPFyiA+NYRz68flxze7admyVp5C6i/"         \
    "HbMPq8Pr\\nMilBUvOFtxuaGeJBAiavuzUe9I70dRwpe424tMvisSA8h7Xbm8BeN/PJHDV/2JrI\\nURgQ563yQ5So/"            \
    "Qg8AgxXRkpgWM9zAh7r31PBO86vq/B4ZbON/"                                                                   \
    "TtWdcZVsAcVB4Pk\\ntqc8JNkCgYEA+g8V+y92SETdcwUkbd5O9Fg5CkfdsALsBXVH6FunrCUV5HS9l5o6\\nMMBbJ/08odW/"      \
    "bP5BmOa4A/Hbk9uG/UfQn2KQ3HCgPlxUEwQO07R1/FcQOe4xmyG6\\nJpDgQ30viE1RtlCkceQWUeitCIqZsYu0i8sLZLWJH+V/"    \
    "07OB4G17ELMCgYEA+g1v\\nhrlAFNhZvrIX/zcP3xF2pZ+AqkFXdL/tWQZkWAVToONn/LlXTH71C/"                          \
    "TO2x+OaQRm\\nqX1bA9Zhyjf1gYQN9RenjUswvggk0aY2Tk28wUqowMGSsjQHmZ20EphHNMWNJpdS\\nfKFfrQIFKCnLlpQVNz+"    \
    "j3bLWZUnq+jPaYnJP7NUCgYEA48qcVo7c7Ga3aNEVZ3St\\nbg90HrZq760pvqshDz13V+0MrWnfUFxxh/"                     \
    "mi0KHy+"                                                                                                \
    "uYRlMNllFkQ5p8LTP0dUlt6\\nY8dReU6r20MWX6BBtX9eP7o8ENm4nL4zqnAtq609gKgWuMNrmkiSQJl6Dx7bdY5z\\nsSkNPvfUa" \
    "5cQRBTxSjXRdtsCgYBHrzpdwRXh4/Q2ew/uFnbyWCtPZ96W8IyF58+/\\nSdnSchR7dzYEeY3RXEQb3V6/"                     \
    "6tgEu0JDLLC+9OKr+kbjjlwB+3oJQ5kBoYwMnj3L\\nTPXj4+dk+xl3BPt4yoEpI4amVkwU2CTJnemzy3R3AyReUq2SXSg5El/"     \
    "sQbifaeYd\\neu/20QKBgH/5IZHGBKiRAe1ww2FzOpDtL8VXXTe3EAXKutfajrHTqPz9+lXknX/"                            \
    "D\\nUMosh264nYXYS29WqxhJVutbE9u8e0VpuY1qIN9/3R0WKfTLTMUFlZtbqTepvsy1\\nW2UbK732I4Nfp0/"                 \
    "mtUvOSdMZO8dxbSdEeMnw/Ec8QgxK9a1rRu9+\\n-----END RSA PRIVATE KEY-----\""
#define S6                                                                                                   \
    "\"DIxnTzKCpTR286rhrck-n80Kjl6XyHqYWxfx6Dk8IfLj-"                                                        \
    "xBFIEMsikRd9p6L6KoMDVX8TbAOWSxpR5iSGifLi66LVDdxIWNgx3q1Embol9X8NyKw7zxTU0d-wE6VJ0_"                     \
    "F0WGGEdxRJMkdUxlvmIFeR2Wd3QeewJxWC4LKEvDr8o8XKID41hHPrx-XHN7tp2bJWnkLqL8dsw-rw-syKUFS84W3G5oZ4kECJq-"   \
    "7NR70jvR1HCl7jbi0y-KxIDyHtdubwF4388kcNX_YmshRGBDnrfJDlKj9CDwCDFdGSmBYz3MCHuvfU8E7zq-"                   \
    "r8Hhls439O1Z1xlWwBxUHg-S2pzwk2Q\""
#define S7                                                                                                   \
    "\"48qcVo7c7Ga3aNEVZ3Stbg90HrZq760pvqshDz13V-0MrWnfUFxxh_mi0KHy-"                                        \
    "uYRlMNllFkQ5p8LTP0dUlt6Y8dReU6r20MWX6BBtX9eP7o8ENm4nL4zqnAtq609gKgWuMNrmkiSQJl6Dx7bdY5zsSkNPvfUa5cQRBT" \
    "xSjXRdts\""
#define S8                                                                                                   \
    "\"R686XcEV4eP0NnsP7hZ28lgrT2felvCMhefPv0nZ0nIUe3c2BHmN0VxEG91ev-rYBLtCQyywvvTiq_"                       \
    "pG445cAft6CUOZAaGMDJ49y0z14-PnZPsZdwT7eMqBKSOGplZMFNgkyZ3ps8t0dwMkXlKtkl0oORJf7EG4n2nmHXrv9tE\""
#define S9                                                                                                   \
    "\"9D_bK4171aiTNUkrUCHKGMLSQooV-o3wdz2889h9iv0HhhBJCAGU54K3duB8ofHpmYL50QodcR4RLw1vSkaI-FPdPDMyKxKj_"    \
    "YcmofJjz4kW-IqwFbBcbMnKnEVzye-CyW9YYOTu0xWtcgen80zGp2opG0GZX86hBjjXJnjOdrJTk6x2NAiJIbjsQevysmj-"        \
    "2MyqVm8widxw0x-rGhTaCD-ZXWitN0a0WO1aaA8c_"                                                              \
    "7i99I9zhe2peKvXzEtMaqYO9ptHcYmq2z0QWvZuJVMv5Yn0mScLWyh91R099IOtn6sNaMMsOyTpi7E_"                        \
    "2IlVgI2uKGPEopKkMFV8Fl2YaAbo7w\""
#define S10                                                                                                  \
    "\"-g8V-y92SETdcwUkbd5O9Fg5CkfdsALsBXVH6FunrCUV5HS9l5o6MMBbJ_08odW_bP5BmOa4A_Hbk9uG_"                    \
    "UfQn2KQ3HCgPlxUEwQO07R1_FcQOe4xmyG6JpDgQ30viE1RtlCkceQWUeitCIqZsYu0i8sLZLWJH-V_07OB4G17ELM\""
#define S11                                                                                                  \
    "\"-g1vhrlAFNhZvrIX_zcP3xF2pZ-AqkFXdL_tWQZkWAVToONn_LlXTH71C_TO2x-"                                      \
    "OaQRmqX1bA9Zhyjf1gYQN9RenjUswvggk0aY2Tk28wUqowMGSsjQHmZ20EphHNMWNJpdSfKFfrQIFKCnLlpQVNz-j3bLWZUnq-"     \
    "jPaYnJP7NU\""
#define S12                                                                                                  \
    "\"f_khkcYEqJEB7XDDYXM6kO0vxVddN7cQBcq619qOsdOo_P36VeSdf8NQyiyHbridhdhLb1arGElW61sT27x7RWm5jWog33_"      \
    "dHRYp9MtMxQWVm1upN6m-zLVbZRsrvfYjg1-nT-a1S85J0xk7x3FtJ0R4yfD8RzxCDEr1rWtG734\""
#define S13                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJuZXciOiJJIGFtIGEgdXNlciBjcmVhdGVkIGZpZWxkIiwiaXNzIjoib3BhIn0.6UmjsclVDGD9jcmX_F8RJzVgHtUZuLu2pxkF_"  \
    "UEQCrE\""
#define S14                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImVuYyI6ImJsYWgifQ."                                              \
    "eyJuZXciOiJJIGFtIGEgdXNlciBjcmVhdGVkIGZpZWxkIiwiaXNzIjoib3BhIn0.McGUb1e-"                               \
    "UviZKy6UyQErNNQzEUgeV25Buwk7OHOa8U8\""
#define S15                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImN0eSI6IkpXVCJ9."                                                \
    "ImV5SmhiR2NpT2lKSVV6STFOaUlzSW5SNWNDSTZJa3BYVkNKOS5leUp6ZFdJaU9pSXdJaXdpYVhOeklqb2liM0JoSW4wLlhtVm9Mb0" \
    "hJM3B4TXRNT19XUk9OTVNKekdVRFA5cERqeThKcDBfdGRSWFki.8W0qx4mLxslmZl7wEMUWBxH7tST3XsEuWXxesXqFnRI\""
#define S16                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImN0eSI6IkpXVCJ9."                                                \
    "ImV5SmhiR2NpT2lKSVV6STFOaUlzSW5SNWNDSTZJa3BYVkNJc0ltTjBlU0k2SWtwWFZDSjkuSW1WNVNtaGlSMk5wVDJsS1NWVjZTVE" \
    "ZPYVVselNXNVNOV05EU1RaSmEzQllWa05LT1M1bGVVcDZaRmRKYVU5cFNYZEphWGRwWVZoT2VrbHFiMmxpTTBKb1NXNHdMbGh0Vm05" \
    "TWIwaEpNM0I0VFhSTlQxOVhVazlPVFZOS2VrZFZSRkE1Y0VScWVUaEtjREJmZEdSU1dGa2kuOFcwcXg0bUx4c2xtWmw3d0VNVVdCeE" \
    "g3dFNUM1hzRXVXWHhlc1hxRm5SSSI.U8rwnGAJ-bJoGrAYKEzNtbJQWd3x1eW0Y25nLKHDCgo\""
#define S17                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJzdWIiOiIwIiwiaXNzIjoib3BhIiwiZXh0Ijp7ImFiYyI6IjEyMyIsImNiYSI6WzEwLCIxMCJdfX0.IIxF-"                  \
    "uJ6i4K5Dj71xNLnUeqB9jmujl6ujTInhii1PxE\""
#define S18                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJzdWIiOiAiMCIsImlzcyI6ICJub3Qgb3BhIiwgImlzcyI6ICJhbHNvIG5vdCBvcGEiLCAiaXNzIjogIm9wYSJ9."              \
    "XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY\""
#define S19                                                                                                  \
    "\"eyJhbGciOiAiUFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJpc3MiOiAieHh4In0.iCePYnD1U13oBe_6ylhmojmkY_"              \
    "VZNYXqVszAej8RImMGv51OEqARmYFkRZYTiYCiVFober7vcDq_stOj1uAJCuttygGW_dpHiN-3EWsU2E2vCnXlygWe0ud38pOC-"    \
    "OVyEFbXxO9-m51vnS-3VmBjEO8G1UE8bLFXTeFOGkUIj9dqlefJSWh5wa8XA3g9mj0jqpuJi-7QgEIeVHk-JzhGpoFqI2f-Df_"     \
    "agVvc2x4V-6fJmj7wV2IsaFPRi36mVQmg8S-"                                                                   \
    "dkxu4AlaeCILhyNZl8ewjBHHBjJFRwzcy88L00mzdO51ZxEYsBdQav3ux2sc6vjT9PvvjAwzcthQxEoEaNA\""
#define S20                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----\\nMIIC/"                                                                               \
    "DCCAeSgAwIBAgIJAJRvYDU3ei3EMA0GCSqGSIb3DQEBCwUAMBMxETAPBgNV\\nBAMMCHdoYXRldmVyMB4XDTE4MDgxMDEwMzgxNloX" \
    "DTE4MDkwOTEwMzgxNlowEzER\\nMA8GA1UEAwwId2hhdGV2ZXIwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIB\\nAQC4kCmz" \
    "LMW/5jzkzkmN7Me8wPD+ymBUIjsGqliGfMrfFfDV2eTPVtZcYD3IXoB4\\nAOUT7XJzWjOsBRFOcVKKEiCPjXiLcwLb/"           \
    "QWQ1x0Budft32r3+N0KQd1rgcRHTPNc\\nJoeWCfOgDPp51RTzTT6HQuV4ud+CDhRJP7QMVMIgal9Nuzs49LLZaBPW8/"           \
    "rFsHjk\\nJQ4kDujSrpcT6F2FZY3SmWsOJgP7RjVKk5BheYeFKav5ZV4p6iHn/TN4RVpvpNBh\\n5z/"                        \
    "XoHITJ6lpkHSDpbIaQUTpobU2um8N3biz+"                                                                     \
    "HsEAmD9Laa27WUpYSpiM6DDMSXl\\ndBDJdumerVRJvXYCtfXqtl17AgMBAAGjUzBRMB0GA1UdDgQWBBRz74MkVzT2K52/"         \
    "\\nFJC4mTa9coM/DTAfBgNVHSMEGDAWgBRz74MkVzT2K52/FJC4mTa9coM/DTAPBgNV\\nHRMBAf8EBTADAQH/"                 \
    "MA0GCSqGSIb3DQEBCwUAA4IBAQAD1ZE4IaIAetqGG+vt9oz1\\nIx0j4EPok0ONyhhmiSsF6rSv8zlNWweVf5y6Z+"              \
    "AoTNY1Fym0T7dbpbqIox0EdKV3\\nFLzniWOjznupbnqfXwHX/g1UAZSyt3akSatVhvNpGlnd7efTIAiNinX/"                  \
    "TkzIjhZ7\\nihMIZCGykT1P0ys1OaeEf57wAzviatD4pEMTIW0OOqY8bdRGhuJR1kKUZ/2Nm8Ln\\ny7E0y8uODVbH9cAwGyzWB/"   \
    "QFc+bffNgi9uJaPQQc5Zxwpu9utlqyzFvXgV7MBYUK\\nEYSLyxp4g4e5aujtLugaC8H6n9vP1mEBr/"                        \
    "+T8HGynBZHNTKlDhhL9qDbpkkNB6/w\\n-----END CERTIFICATE-----\""
#define S21                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----\\nMIIFiDCCA3ACCQCGV6XsfG/"                                                             \
    "oRTANBgkqhkiG9w0BAQUFADCBhTELMAkGA1UEBhMC\\nVVMxEzARBgNVBAgMCkNhbGlmb3JuaWExFTATBgNVBAcMDFJlZHdvb2QgQ2" \
    "l0eTEO\\nMAwGA1UECgwFU3R5cmExDDAKBgNVBAsMA0RldjESMBAGA1UEAwwJbG9jYWxob3N0\\nMRgwFgYJKoZIhvcNAQkBFglhc2" \
    "hAc3R5cmEwHhcNMTgwMzA2MDAxNTU5WhcNMTkw\\nMzA2MDAxNTU5WjCBhTELMAkGA1UEBhMCVVMxEzARBgNVBAgMCkNhbGlmb3Jua" \
    "WEx\\nFTATBgNVBAcMDFJlZHdvb2QgQ2l0eTEOMAwGA1UECgwFU3R5cmExDDAKBgNVBAsM\\nA0RldjESMBAGA1UEAwwJbG9jYWxob" \
    "3N0MRgwFgYJKoZIhvcNAQkBFglhc2hAc3R5\\ncmEwggIiMA0GCSqGSIb3DQEBAQUAA4ICDwAwggIKAoICAQDucnAwTRA0zqDQ671L" \
    "\\nKWOVwhjhycFyzyhZUd7vhsnslOBiYM6TYIDXhETfAk2RQoRE/"                                                   \
    "9xF16woMD8FOglc\\nlSuhi+GNfFRif6LfArm84ZFj1ZS1MX2logikhXhRJQ7AOHe5+"                                    \
    "ED0re3KH5lWyqfz\\nR6bQuPYwTQSBJy6Tq7T9RiOM29yadCX64OaCEbzEFmHtNlbb5px4zCVvgskg/"                        \
    "fpV\\nGGCMpAYjGDatbxE5eAloVs1EJuI5RSqWr1JRm6EejxM04BFdfGn1HgWrsKXtlvBa\\n00/"                           \
    "AC0zXL5n6LK7+L3WbRguVTZcE4Yu70gDwhmM+"                                                                  \
    "VsKeT9LKClX003BNj0NJDRB9\\ndw9MaWxsXDNHNOWEfbnASXeP7ZRv3D81ftij6P8SL14ZnxyrRty8TAN4ij3wd41l\\nastRQCtr" \
    "JFi+HzO606XOp6HDzBoWT0DGl8Sn2hZ6RLPyBnD04vvvcSGeCVjHGOQ8\\nc3OTroK58u5MR/"                              \
    "q4T00sTkeeVAxuKoEWKsjIBYYrJTe/a2mEq9yiDGbPNYDnWnQZ\\njSUZm+Us23Y2sm/agZ5zKXcEuoecGL6sYCixr/"            \
    "xeB9BPxEiTthH+0M8OY99qpIhz\\nSmj41wdgQfzZi/6B8pIr77V/KywYKxJEmzw8Uy48aC/"                               \
    "rZ8WsT8QdKwclo1aiNJhx\\n79OvGbZFoeHD/w7igpx+ttpF/"                                                      \
    "wIDAQABMA0GCSqGSIb3DQEBBQUAA4ICAQC3wWUs\\nfXz+aSfFVz+"                                                  \
    "O3mLFkr65NIgazbGAySgMgMNVuadheIkPL4k21atyflfpx4pg9FGv\\n40vWCLMajpvynfz4oqah0BACnpqzQ8Dx6HYkmlXK8fLB+"  \
    "WtPrZBeUEsGPKuJYt4M\\nd5TeY3VpNgWOPXmnE4lvxHZqh/"                                                       \
    "8OwmOpjBfC9E3e2eqgwiwOkXnMaZEPgKP6JiWk\\nEFaQ9jgMQqJZnNcv6NmiqqsZeI0/"                                  \
    "NNjBpkmEWQl+wLegVusHiQ0FMBMQ0taEo21r\\nzUwHoNJR3h3wgGQiKxKOH1FUKHBV7hEqObLraD/"                         \
    "hfG5xYucJfvvAAP1iH0ycPs+9\\nhSccrn5/HY1c9AZnW8Kh7atp/wFP+sHjtECWK/"                                     \
    "lUmXfhASS293hprCpJk2n9pkmR\\nziXKJhjwkxlC8NcHuiVfaxdfDa4+1Qta2gK7GEypbvLoEmIt/dsYUsxUg84lwJJ9\\nnyC/"   \
    "pfZ5a8wFSf186JeVH4kHd3bnkzlQz460HndOMSJ/"                                                               \
    "Xi1wSfuZlOVupFf8TVKl\\np4j28MTLH2Wqx50NssKThdaX6hoCiMqreYa+EVaN1f/cIGQxZSCzdzMCKqdB8lKB\\n3Eax+5zsIa/"  \
    "UyPwGxZcyXBRHAlz5ZnkjuRxInyiMkBWWz3IZXjTe6Fq8BNd2UWNc\\nw35+2nO5n1LKXgR2+nzhZUOk8TPsi9WUywRluQ==\\n---" \
    "--END CERTIFICATE-----\""
#define S22                                                                                                  \
    "\"eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9.eyJpc3MiOiAieHh4IiwgImV4cCI6IDMwMDB9."                       \
    "hqDP3AzshNhUZMI02U3nLPrj93QFrgs-74XFrF1Vry2bplrz-NKpdVdfTu8iY_bhmkWf2Om5DdwRZj2ZgpGahtnshnHaRq0RyqF-"   \
    "m3Y7oNj6JL_YMwgxsFIIHtBlagBqDU-gZK99iqSOSGqVhvxqX6gCqFgE7vnEGHeeDedtRM53coAJuwzy8rQV9m3TewoofPdPasGv-"  \
    "dBLQZ3qgmnibkSgb7SmFpjXBy8zL3xJXOZhAHYlgcmcEoFVaWlBguIcWA87WZlpCLYcdYTJzSZweC3QLUhZ4RLJW84-"            \
    "LMKp6xWLLPrp3OgnsduB2G9PYMmYw_qCkuY1KGwfH4PvCQbAzQ\""
#define S23                                                                                                  \
    "\"eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9.eyJuYmYiOiAxMDAwLCAiaXNzIjogInh4eCJ9.cwwYDfJhU_"             \
    "ambPIpwBJwDek05miffoudprr41IAYsl0IKekb1ii2uEgwkNM-LJtVXHe9hsK3gANFyfqoJuCZIBvaNMx_"                     \
    "3Z0BUdeBs4k1UwBiZCpuud0ofgHKURwvehNgqDvRfchq_-K_Agi2iRdl0oShgLjN-"                                      \
    "gVbBl8pRwUbQrvASlcsCpZIKUyOzXNtaIZEFh1z6ISDy8UHHOdoieKpN23swya7QAcEb0wXEEKMkkhiRd5QHgWLk37Lnw2K89mKcq4" \
    "Om0CtV9nHrxxmpYGSMPojCy16Gjdg5-xKyJWvxCfb3YUBUVM4RWa7ICOPRJWPuHxu9pPYG63hb_qDU6NLsw\""
#define S24                                                                                                  \
    "\"eyJ0eXAiOiAiSldUIiwgImtpZCI6ICJrMSJ9.eyJpc3MiOiAieHh4IiwgInN1YiI6ICJmcmVkIn0.J4J4FgUD_"               \
    "P5fviVVjgvQWJDg-5XYTP_tHCwB3kSlYVKv8vmnZRNh4ke68OxfMP96iM-LZswG2fNqe-_"                                 \
    "piGIMepF5rCe1iIWAuz3qqkxfS9YVF3hvwoXhjJT0yIgrDMl1lfW5_"                                                 \
    "XipNshZoxddWK3B7dnVW74MFazEEFuefiQm3PdMUX8jWGsmfgPnqBIZTizErNhoIMuRvYaVM1wA2nfrpVGONxMTaw8T0NRwYIuZwub" \
    "bnNQ1yLhI0y3dsZvQ_lrh9Khtk9fS1V3SRh7aa9AvferJ4T-48qn_V1m3sINPgoA-uLGyyu3k_GkXRYW1yGNC-"                 \
    "MH4T2cwhj89WITbIhusgQ\""
#define S25                                                                                                  \
    "\"eyJjcml0IjogWyJqdW5rIl0sICJraWQiOiAiazEiLCAiYWxnIjogIlJTMjU2IiwgInR5cCI6ICJKV1QiLCAianVuayI6ICJ4eHgi" \
    "fQ.eyJpc3MiOiAieHh4IiwgInN1YiI6ICJmcmVkIn0.YfoUpW5CgDBtxtBuOix3cdYJGT8cX9Mq7wOhIbjDK7eRQUsAmMY_"        \
    "0EQPh7bd7Yi1gLI3e11BKzguf2EHqAa1kbkHWwFniBO-RIi8q42v2uxC4lpEpIjfaaXB5XmsLfAXtYRqh0AObvbSho6VDXBP_"      \
    "Kn81nhIiE2yFbH14_jhRMSxDBs5ToSkXV-XJHw5bONP8NxPqEk9KF3ZJGzN7J_"                                         \
    "KoD6LjqfYai5K0eLNEIZh4C1WjTdmCKMR4K6ieZRQWZiSsnhSqLSQERir4n22G3QsdY7dOnCp-SS4VYu3V-PfsOSFMvQ-"          \
    "TTAN1geqMZ9A7k1CCLW0wxKBs-KCiYzmRTzwxA\""
#define S26                                                                                                  \
    "\"eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJjdHkiOiAiSldUIn0."                                         \
    "ZXlKaGJHY2lPaUFpVWxNeU5UWWlMQ0FpZEhsd0lqb2dJa3BYVkNKOS5leUpwYzNNaU9pQWllSGg0SW4wLnJSUnJlUU9DYW9ZLW1Naz" \
    "cyak5GZVk1YVlFUWhJZ0lFdFZkUTlYblltUUwyTHdfaDdNbkk0U0VPMVBwa0JIVEpyZnljbEplTHpfalJ2UGdJMlcxaDFCNGNaVDhD" \
    "Z21pVXdxQXI5c0puZHlVQ1FtSWRrbm53WkI5cXAtX3BTdGRHWEo5WnAzeEo4NXotVEJpWlN0QUNUZFdlUklGSUU3VkxPa20tRmxZdz" \
    "h5OTdnaUN4TmxUdWl3amxlTjMwZDhnWHUxNkZGQzJTSlhtRjZKbXYtNjJHbERhLW1CWFZ0bGJVSTVlWVUwaTdueTNyQjBYUVQxRkt4" \
    "ZUZ3OF85N09FdV9jY3VLcl82ZHlHZVFHdnQ5Y3JJeEFBMWFZbDdmbVBrNkVhcjllTTNKaGVYMi00Wkx0d1FOY1RDT01YV0dIck1DaG" \
    "5MWVc4WEFrTHJEbl9yRmxUaVMtZw.Xicc2sWCZ_Nithucsw9XD7YOKrirUdEnH3MyiPM-"                                  \
    "Ck3vEU2RsTBsfU2JPhfjp3phc0VOgsAXCzwU5PwyNyUo1490q8YSym-liMyO2Lk-hjH5fAxoizg9yD4II_lK6Wz_"               \
    "Tnpc0bBGDLdbuUhvgvO7yqo-leBQlsfRXOvw4VSPSEy8QPtbURtbnLpWY2jGBKz7vGI_"                                   \
    "o4qDJ3PicG0kyEiWZNh3wjeeCYRCWvXN8qh7Uk5EA-8J5vX651GqV-7gmaX1n-8DXamhaCQcE-p1cjSj04-X-_bJlQtmb-"         \
    "TT3bSyUPxgHVncvxNUby8jkUTzfi5MMbmIzWWkxI5YtJTdtmCkPQ\""
#define S27                                                                                                  \
    "\"eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCIsICJjdHkiOiAiSldUIn0."                                         \
    "ZXlKaGJHY2lPaUFpVWxNeU5UWWlMQ0FpZEhsd0lqb2dJa3BYVkNJc0lDSmpkSGtpT2lBaVNsZFVJbjAuWlhsS2FHSkhZMmxQYVVGcF" \
    "ZXeE5lVTVVV1dsTVEwRnBaRWhzZDBscWIyZEphM0JZVmtOS09TNWxlVXB3WXpOTmFVOXBRV2xsU0dnMFNXNHdMbkpTVW5KbFVVOURZ" \
    "VzlaTFcxTmF6Y3lhazVHWlZrMVlWbEZVV2hKWjBsRmRGWmtVVGxZYmxsdFVVd3lUSGRmYURkTmJrazBVMFZQTVZCd2EwSklWRXB5Wm" \
    "5samJFcGxUSHBmYWxKMlVHZEpNbGN4YURGQ05HTmFWRGhEWjIxcFZYZHhRWEk1YzBwdVpIbFZRMUZ0U1dScmJtNTNXa0k1Y1hBdFgz" \
    "QlRkR1JIV0VvNVduQXplRW80TlhvdFZFSnBXbE4wUVVOVVpGZGxVa2xHU1VVM1ZreFBhMjB0Um14WmR6aDVPVGRuYVVONFRteFVkV2" \
    "wzYW14bFRqTXdaRGhuV0hVeE5rWkdRekpUU2xodFJqWktiWFl0TmpKSGJFUmhMVzFDV0ZaMGJHSlZTVFZsV1ZVd2FUZHVlVE55UWpC" \
    "WVVWUXhSa3Q0WlVaM09GODVOMDlGZFY5alkzVkxjbDgyWkhsSFpWRkhkblE1WTNKSmVFRkJNV0ZaYkRkbWJWQnJOa1ZoY2psbFRUTk" \
    "thR1ZZTWkwMFdreDBkMUZPWTFSRFQwMVlWMGRJY2sxRGFHNU1XVmM0V0VGclRISkVibDl5Um14VWFWTXRady5YaWNjMnNXQ1pfTml0" \
    "aHVjc3c5WEQ3WU9LcmlyVWRFbkgzTXlpUE0tQ2szdkVVMlJzVEJzZlUySlBoZmpwM3BoYzBWT2dzQVhDendVNVB3eU55VW8xNDkwcT" \
    "hZU3ltLWxpTXlPMkxrLWhqSDVmQXhvaXpnOXlENElJX2xLNld6X1RucGMwYkJHRExkYnVVaHZndk83eXFvLWxlQlFsc2ZSWE92dzRW" \
    "U1BTRXk4UVB0YlVSdGJuTHBXWTJqR0JLejd2R0lfbzRxREozUGljRzBreUVpV1pOaDN3amVlQ1lSQ1d2WE44cWg3VWs1RUEtOEo1dl" \
    "g2NTFHcVYtN2dtYVgxbi04RFhhbWhhQ1FjRS1wMWNqU2owNC1YLV9iSmxRdG1iLVRUM2JTeVVQeGdIVm5jdnhOVWJ5OGprVVR6Zmk1" \
    "TU1ibUl6V1dreEk1WXRKVGR0bUNrUFE.ODBVH_"                                                                 \
    "gooCLJxtPVr1MjJC1syG4MnVUFP9LkI9pSaj0QABV4vpfqrBshHn8zOPgUTDeHwbc01Qy96cQlTMQQb94YANmZyL1nzwmdR4piiGXM" \
    "GSlcCNfDg1o8DK4msMSR-X-j2IkxBDB8rfeFSfLRMgDCjAF0JolW7qWmMD9tBmFNYAjly4vMwToOXosDmFLl5eqyohXDf-"         \
    "3Ohljm5kIjtyMWkt5S9EVuwlIXh2owK5l59c4-"                                                                 \
    "TH29gkuaZ3uU4LFPjD7XKUrlOQnEMuu2QD8LAqTyxbnY4JyzUWEvyTM1dVmGnFpLKCg9QBly__"                             \
    "y1u2ffhvDsHyuCmEKAbhPE98YvFA\""
#define S28                                                                                                  \
    "\"eyJhbGciOiAiRVMyNTYiLCAidHlwIjogIkpXVCJ9.eyJpc3MiOiAieHh4In0.JvbTLBF06FR70gb7lCbx_ojhp4bk9--B_"       \
    "aULgNlYM0fYf9OSawaqBQp2lwW6FADFtRJ2WFUk5g0zwVOUlnrlzw\""
#define S29                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIIBcDCCARagAwIBAgIJAMZmuGSIfvgzMAoGCCqGSM49BAMCMBMxETAPBgNVBAMM\\nCHdoYXRldmVyMB4XDTE4MDgxMDE0Mjg1" \
    "NFoXDTE4MDkwOTE0Mjg1NFowEzERMA8G\\nA1UEAwwId2hhdGV2ZXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATPwn3WCEXL\\n" \
    "mjp/"                                                                                                   \
    "bFniDwuwsfu7bASlPae2PyWhqGeWwe23Xlyx+"                                                                  \
    "tSqxlkXYe4pZ23BkAAscpGj\\nyn5gXHExyDlKo1MwUTAdBgNVHQ4EFgQUElRjSoVgKjUqY5AXz2o74cLzzS8wHwYD\\nVR0jBBgwF" \
    "oAUElRjSoVgKjUqY5AXz2o74cLzzS8wDwYDVR0TAQH/BAUwAwEB/zAK\\nBggqhkjOPQQDAgNIADBFAiEA4yQ/"                 \
    "88ZrUX68c6kOe9G11u8NUaUzd8pLOtkKhniN\\nOHoCIHmNX37JOqTcTzGn2u9+c8NlnvZ0uDvsd1BmKPaUmjmm\\n-----END "    \
    "CERTIFICATE-----\\n\""
#define S30                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJ1c2VyIjoiYWxpY2UiLCJhenAiOiJhbGljZSIsInN1Ym9yZGluYXRlcyI6W10sImhyIjpmYWxzZX0.rz3jTY033z-NrKfwrK89_"  \
    "dcLF7TN4gwCMj-fVBDyLoM\""
#define S31                                                                                                  \
    "\"eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9.eyJpc3MiOiAieHh4IiwgImF1ZCI6ICJmcmVkIn0.F-"                  \
    "9m2Tx8r1tuQFirazsI4FK05bXX3uP4ut8M2FryJ07k3bQhy262fdwNDmuFcGx0NfL-"                                     \
    "c80agcwGoTzMWXkVEgZ2KTz0QSAdcdGk3ZWtUy-Mj2IilZ1dzkVvW8LsithYFTGcUtkelFDrJwtMQ0Kum7SXJpC_"               \
    "HCBk4PbftY0XD6jRgHLnQdeT9_J11L4sd19vCdpxxxm3_m_yvUV3ZynzB4vhQbS3CET4EClAVhi-m_gMh9mj85gY1ycIz6-"        \
    "FxWv8xM2Igm2SMeIdyJwAvEGnIauRS928P_OqVCZgCH2Pafnxtzy77Llpxy8XS0xu5PtPw3_azhg33GaXDCFsfz6GpA\""
#define S32                                                                                                  \
    "\"eyJhbGciOiAiUlMyNTYiLCAidHlwIjogIkpXVCJ9.eyJpc3MiOiAieHh4IiwgImF1ZCI6IFsiZnJlZCIsICJib2IiXX0."        \
    "k8jW7PUiMkQCKCjnSFBFFKPDO0RXwZgVkLUwUfi8sMdrrcKi12LC8wd5fLBn0YraFtMXWKdMweKf9ZC-"                       \
    "K33h5TK7kkTVKOXctF50mleMlUn0Up_XjtdP1v-2WOfivUXcexN1o-"                                                 \
    "hu0kH7sSQnielXIjC2EAleG6A54YUOZFBdzvd1PKHlsxA7x2iiL73uGeFlyxoaMki8E5tx7FY6JGF1RdhWCoIV5A5J8QnwI5EetduJ" \
    "Q505U65Pk7UApWYWu4l2DT7KCCJa5dJaBvCBemVxWaBhCQWtJKU2ZgOEkpiK7b_HsdeRBmpG9Oi1o5mt5ybC09VxSD-lEda_iJO_"   \
    "7i042A\""
#define S33                                                                                                  \
    "\"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0."           \
    "ZcLZbBKpPFFz8YGD2jEbXzwHT7DWtqRVk1PTV-cAWUV8jr6f2a--"                                                   \
    "Fw9SFR3vSbrtFif06AQ3aWY7PMM2AuxDjiUVGjItmHRz0sJBEijcE2QVkDN7MNK3Kk1fsM_"                                \
    "hbEXzNCzChZpEkTZnLy9ijkJJFD0j6lBat4lO5Zc_LC2lXUftV_hU2aW9mQ7pLSgJjItzRymivnN0g-WUDq5IPK_M8b3yPy_"       \
    "N9iByj8B2FO0sC3TuOrXWbrYrX4ve4bAaSqOFOXiL5Z5BJfmmtT--xKdWDGJxnei8lbv7in7t223fVsUpsH-"                   \
    "zmybp529Fya37BsaIlcgLrl38ghvoqy2sHu2wAA\""
#define S34                                                                                                  \
    "\"{\\n  \\\"keys\\\": [\\n    {\\n      \\\"kty\\\": \\\"EC\\\",\\n      \\\"use\\\": \\\"sig\\\",\\n " \
    "     \\\"crv\\\": \\\"P-256\\\",\\n      \\\"kid\\\": \\\"k1\\\",\\n      \\\"x\\\": "                  \
    "\\\"9Qq5S5VqMQoH-FOI4atcH6V3bua03C-5ZMZMG1rszwA\\\",\\n      \\\"y\\\": "                               \
    "\\\"LLbFxWkGBEBrTm1GMYZJy1OXCH1KLweJMCgIEPIsibU\\\",\\n      \\\"alg\\\": \\\"ES256\\\"\\n    },\\n   " \
    " {\\n      \\\"kty\\\": \\\"RSA\\\",\\n      \\\"e\\\": \\\"AQAB\\\",\\n      \\\"use\\\": "            \
    "\\\"enc\\\",\\n      \\\"kid\\\": \\\"k2\\\",\\n      \\\"alg\\\": \\\"RS256\\\",\\n      \\\"n\\\": "  \
    "\\\"sGu-fYVE2nq2dPxJlqAMI0Z8G3FD0XcWDnD8mkfO1ddKRGuUQZmfj4gWeZGyIk3cnuoy7KJCEqa3daXc08QHuFZyfn0rH33t8_" \
    "AFsvb0q0i7R2FK-Gdqs_E0-sGpYMsRJdZWfCioLkYjIHEuVnRbi3DEsWqe484rEGbKF60jNRgGC4b-8pz-"                     \
    "E538ZkssWxcqHrYIj5bjGEU36onjS3M_yrTuNvzv_"                                                              \
    "8wRioK4fbcwmGne9bDxu8LcoSReWpPn0CnUkWnfqroRcMJnC87ZuJagDW1ZWCmU3psdsVanmFFh0DP6z0fsA4h8G2n9-qp-"        \
    "LEKFaWwo3IWlOsIzU3MHdcEiGw\\\"\\n    }\\n  ]\\n}\""
#define S35                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0."           \
    "G051ZlKno4XdDz4pdPthPKH1cKlFqkREvx_dHhl6kwM\""
#define S36                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ4eHgiLCJuYmYiOjEuNTg5Mzg1NzcwMTIzNGUrMDl9.lvrsV1nam-" \
    "BZr0SomWwsr4dBfu6BDrR2FzQ1iS_Xnrw\""
#define S37                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEuNTg5Mzg1NzcxMTIzNGUrMDksImlzcyI6Inh4eCJ9."           \
    "PZ2z6VfHt9YdvHHUbilkTnw4R9TK3_V0LV1h-q0k9xg\""
#define S38                                                                                                  \
    "\"eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiYWRtaW4iOnRydWUsImlhdCI6MTUxNjIzOTAyMn0."           \
    "JkKWCY39IdWEQttmdqR7VdsvT-_QxheW_eb0S5wr_j83ltux_JDUIXs7a3Dtn3xuqzuhetiuJrWIvy5TzimeCg\""
#define S39                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJhdWQiOlsiYm9iIiwic2F1bCJdLCJleHAiOjEzMDA4MTkzODAsImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlLCJpc3" \
    "MiOiJqb2UiLCJwcml2YXRlUGFyYW1zIjp7InByaXZhdGVfb25lIjoib25lIiwicHJpdmF0ZV90d28iOiJ0d28ifX0.-"            \
    "Or2eol8bzly-Ztb0v7_7UkcKBkN_aNNpK33HK0MeOY\""
#define S40                                                                                                  \
    "\"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-"                   \
    "7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_"    \
    "V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_"             \
    "jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ\""
#define S41                                                                                                  \
    "\"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-"                \
    "FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0\""
#define S42                                                                                                  \
    "\"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-"      \
    "NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU\""
#define S43                                                                                                  \
    "\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-"   \
    "yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-"    \
    "KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_"    \
    "h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\""
#define S44                                                                                                  \
    "\"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_"             \
    "Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc\""
#define S45                                                                                                  \
    "\"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_"       \
    "YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc\""
#define S46                                                                                                  \
    "\"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_"                     \
    "QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U\""
#define S47                                                                                                  \
    "\"eyJhbGciOiJSUzI1NiJ9."                                                                                \
    "eyJhdWQiOlsiYm9iIiwic2F1bCJdLCJleHAiOjEzMDA4MTkzODAsImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlLCJpc3" \
    "MiOiJqb2UiLCJwcml2YXRlUGFyYW1zIjp7InByaXZhdGVfb25lIjoib25lIiwicHJpdmF0ZV90d28iOiJ0d28ifX0."             \
    "kvCjo2z80h4YO3umCn3iayUXEnBGgw-Nk4-cYNPWagW4SAg34nZSonUt9Kpnc5h0s6LpJAnam1xuEezk-2VRPnu05foQdWTDKJAze-" \
    "9vZ0wr0L_KyXLZaW0vVfehdGpPgJj_FqVfgnc-hXdL0RADfrKjApsrO7oHpv-"                                          \
    "Ii3u7oKwauzq5oQ2AXt4cp6ahu8VhOBGQiPXtV98Yw3U3NBetMX-I_qR6-"                                             \
    "UGsN6Z0pRO0bsdk1ANvMiHT6Y04x8nh4kzk5pfv71ACgnxrs1zxwg7YfYzm2tQXGceu7fwI9sqO_jz2c8RvMsg4u8q0js58F-"      \
    "gR1SVjmTyipnXv0tAGzpZnhg\""
#define S48                                                                                                  \
    "\"eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJhdWQiOlsiYm9iIiwic2F1bCJdLCJleHAiOjEzMDA4MTkzODAsImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlLCJpc3" \
    "MiOiJqb2UiLCJwcml2YXRlUGFyYW1zIjp7InByaXZhdGVfb25lIjoib25lIiwicHJpdmF0ZV90d28iOiJ0d28ifX0.T_"           \
    "X7SzKEehTnRdgYrDobpKO-EqZ0LW3Y-idx16wNHXCL5aiR24h2Ei0pWRHG2X2BYomwbvNwyxPcasgHqs_eBA\""
#define S49                                                                                                  \
    "\"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."                                                            \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."        \
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk\""
#define S50                                                                                                  \
    "\"{\\n    \\\"kty\\\":\\\"RSA\\\",\\n    "                                                              \
    "\\\"n\\\":\\\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-"                    \
    "4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-"        \
    "bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_"     \
    "I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\\\",\\n    "           \
    "\\\"e\\\":\\\"AQAB\\\",\\n    "                                                                         \
    "\\\"d\\\":\\\"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-"       \
    "7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_"    \
    "V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_"             \
    "jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ\\\",\\n    "                    \
    "\\\"p\\\":\\\"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_" \
    "Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc\\\",\\n    "        \
    "\\\"q\\\":\\\"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-"                                                           \
    "7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-"                \
    "njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc\\\",\\n    "                                     \
    "\\\"dp\\\":\\\"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-"   \
    "FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0\\\",\\n    "     \
    "\\\"dq\\\":\\\"h_96-mK1R_"                                                                              \
    "7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_" \
    "-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU\\\",\\n    "                                \
    "\\\"qi\\\":\\\"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_"        \
    "QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U\\\"\\n  "   \
    "}\""
#define S51                                                                                                  \
    "\"eyJhbGciOiJSUzI1NiJ9."                                                                                \
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."        \
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"                  \
    "O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"                                              \
    "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"              \
    "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_"       \
    "IoypGlUPQGe77Rw\""
#define S52                                                                                                  \
    "\"{\\\"kty\\\":\\\"OKP\\\",\\\"alg\\\":\\\"EdDSA\\\",\\\"crv\\\":\\\"Ed25519\\\",\\\"x\\\":"            \
    "\\\"wEZFfoAj1rFKTLOOmjJjVZlCHwksuvMb2I5y_hg70E8\\\",\\\"d\\\":\\\"9XI34uQzYUJfWhDZf_"                   \
    "0nYsLMBRVu8a6dFsy60P8uugk\\\"}\""
#define S53                                                                                                  \
    "\"eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJpc3MiOiJqb2UiLCJleHAiOjEzMDA4MTkzODAsImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.jS1so-"          \
    "rsTaC8DdA8_ZnFXYbi9xOrMVXOviMFrahQ7ez0UKKzjU-2vxrM0ON-Vu3GXKhtBkkO3SUtNMoeYw3zDQ\""
#define S54                                                                                                  \
    "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."                                                                \
    "eyJ1c2VyIjoiYWxpY2UiLCJhenAiOiJhbGljZSIsInN1Ym9yZGluYXRlcyI6W10sImhyIjpmYWxzZX0."                       \
    "R0NDxM1gHTucWQKwayMDre2PbMNR9K9efmOfygDZWcE\""
#define S55                                                                                                  \
    "\"eyJhbGciOiJIUzM4NCJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0."                        \
    "g98lHYzuqINVppLMoEZT7jlpX0IBSo9zKGoN9DhQg7Ua3YjLXbJMjzESjIHXOGLB\""
#define S56                                                                                                  \
    "\"eyJhbGciOiJIUzM4NCJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0."                        \
    "g98lHYzuqINVppLMoEZT7jlpX0IBSo9zKGoN9DhQg7Ua3YjLXbJMjzESjIHXOBAD\""
#define S57                                                                                                  \
    "\"eyJhbGciOiJIUzUxMiJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0.F6-"                     \
    "xviRhK2OLcJJHFivhQqMN_dgX5boDrwbVKkdo9flQQNk-AaKpH3uYycFvBEd_erVefcsri_PkL4fjLSZ7ZA\""
#define S58                                                                                                  \
    "\"eyJhbGciOiJIUzUxMiJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0.F6-"                     \
    "xviRhK2OLcJJHFivhQqMN_dgX5boDrwbVKkdo9flQQNk-AaKpH3uYycFvBEd_erVefcsri_PkL4fjLSZBAD\""
#define S59                                                                                                  \
    "\"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJmb28iOiJiYXIiLCJuYmYiOjE0NDQ0Nzg0MDB9.N0-"                    \
    "EVdv5pvUfZYFRzMGnsWpNLHgwMEgViPwpuLBEtt32682OgnOK-N4X-"                                                 \
    "2gpQEjQIbUr0IFym8YsRQU9GZvqQP72Sd6yOQNGSNeE74DpUZCAjBa9SBIb1UlD2MxZB-"                                  \
    "e7YJiEyo7pZhimaqorXrgorlaXYGMvsCFWDYmBLzGaGYaGJyEpkZHzHb7ujsDrJJjdEtDV3kh13gTHzLPvqnoXuuxelXye_"        \
    "8LPIhvgDy52gT4shUEso71pJCMv_IqAR19ljVE17lJzoi6VhRn6ReNUE-yg4KfCO4Ypnuu-mcQr7XtmSYoWkX72L5UQ-EyWkoz-"    \
    "w0SYKoJTPzHkTL2thYStksVpeNkGuck25aUdtrQgmPbao0QOWBFlkg03e6mPCD2-aXOt1ofth9mZGjxWMHX-"                   \
    "mUqHaNmaWM3WhRztJ73hWrmB1YOdYQtOEHejfvR_"                                                               \
    "td5tqIw4W6ufRy2ScOypGQe7kNaUZxpgxZ1927ZGNiQgawIOAQwXOcFx1JNSEIeg55-cYJrHPxsXGOB9ZxW-"                   \
    "qnswmFJp474iUVXjzGhLexJDXBwvKGs_O3JFjMsvyV9_hm7bnQU0vG_"                                                \
    "HgPYs5i9VOHRMujq1vFBcm52TFVOBGdWaGfb9RRdLLYvVkJLk0Poh19rsCWb7-Vc3mAaGGpvuk4Wv-PnGGNC-V-FQqIbijHDrn_g\""
#define S60                                                                                                  \
    "\"-----BEGIN PUBLIC "                                                                                   \
    "KEY-----"                                                                                               \
    "\\nMIICIjANBgkqhkiG9w0BAQEFAAOCAg8AMIICCgKCAgEA7nJwME0QNM6g0Ou9SyljlcIY4cnBcs8oWVHe74bJ7JTgYmDOk2CA14R" \
    "E3wJNkUKERP/cRdesKDA/"                                                                                  \
    "BToJXJUroYvhjXxUYn+i3wK5vOGRY9WUtTF9paIIpIV4USUOwDh3ufhA9K3tyh+ZVsqn80em0Lj2ME0EgScuk6u0/"              \
    "UYjjNvcmnQl+uDmghG8xBZh7TZW2+"                                                                          \
    "aceMwlb4LJIP36VRhgjKQGIxg2rW8ROXgJaFbNRCbiOUUqlq9SUZuhHo8TNOARXXxp9R4Fq7Cl7ZbwWtNPwAtM1y+Z+iyu/"        \
    "i91m0YLlU2XBOGLu9IA8IZjPlbCnk/SygpV9NNwTY9DSQ0QfXcPTGlsbFwzRzTlhH25wEl3j+2Ub9w/NX7Yo+j/"                \
    "Ei9eGZ8cq0bcvEwDeIo98HeNZWrLUUArayRYvh8zutOlzqehw8waFk9AxpfEp9oWekSz8gZw9OL773EhnglYxxjkPHNzk66CufLuTE" \
    "f6uE9NLE5HnlQMbiqBFirIyAWGKyU3v2tphKvcogxmzzWA51p0GY0lGZvlLNt2NrJv2oGecyl3BLqHnBi+rGAosa/"              \
    "8XgfQT8RIk7YR/tDPDmPfaqSIc0po+NcHYEH82Yv+gfKSK++1fyssGCsSRJs8PFMuPGgv62fFrE/EHSsHJaNWojSYce/"           \
    "Trxm2RaHhw/8O4oKcfrbaRf8CAwEAAQ==\\n-----END PUBLIC KEY-----\""
#define S61                                                                                                  \
    "\"{\\\"kty\\\":\\\"RSA\\\",\\\"e\\\":\\\"AQAB\\\",\\\"kid\\\":\\\"4db88b6b-cda9-4242-b79e-"             \
    "51346edc313c\\\",\\\"n\\\":\\\"7nJwME0QNM6g0Ou9SyljlcIY4cnBcs8oWVHe74bJ7JTgYmDOk2CA14RE3wJNkUKERP_"     \
    "cRdesKDA_BToJXJUroYvhjXxUYn-i3wK5vOGRY9WUtTF9paIIpIV4USUOwDh3ufhA9K3tyh-ZVsqn80em0Lj2ME0EgScuk6u0_"     \
    "UYjjNvcmnQl-uDmghG8xBZh7TZW2-"                                                                          \
    "aceMwlb4LJIP36VRhgjKQGIxg2rW8ROXgJaFbNRCbiOUUqlq9SUZuhHo8TNOARXXxp9R4Fq7Cl7ZbwWtNPwAtM1y-Z-iyu_"        \
    "i91m0YLlU2XBOGLu9IA8IZjPlbCnk_SygpV9NNwTY9DSQ0QfXcPTGlsbFwzRzTlhH25wEl3j-2Ub9w_NX7Yo-j_"                \
    "Ei9eGZ8cq0bcvEwDeIo98HeNZWrLUUArayRYvh8zutOlzqehw8waFk9AxpfEp9oWekSz8gZw9OL773EhnglYxxjkPHNzk66CufLuTE" \
    "f6uE9NLE5HnlQMbiqBFirIyAWGKyU3v2tphKvcogxmzzWA51p0GY0lGZvlLNt2NrJv2oGecyl3BLqHnBi-rGAosa_"              \
    "8XgfQT8RIk7YR_tDPDmPfaqSIc0po-NcHYEH82Yv-gfKSK--1fyssGCsSRJs8PFMuPGgv62fFrE_EHSsHJaNWojSYce_"           \
    "Trxm2RaHhw_8O4oKcfrbaRf8\\\"}\""
#define S62                                                                                                  \
    "\"eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJQUzI1NiJ9.eyJuYmYiOiAxNDQ0NDc4NDAwLCAiZm9vIjogImJhciJ9."               \
    "i0F3MHWzOsBNLqjQzK1UVeQid9xPMowCoUsoM-C2BDxUY-"                                                         \
    "FMKmCeJ1NJ4TGnS9HzFK1ftEvRnPT7EOxOkHPoCk1rz3feTFgtHtNzQqLM1IBTnz6aHHOrda_bKPHH9ZIYCRQUPXhpC90ivW_IJR-"  \
    "f7Z1WLrMXaJ71i1XteruENHrJJJDn0HedHG6N0VHugBHrak5k57cbE31utAdx83TEd8v2Y8wAkCJXKrdmTa-8419LNxW_"          \
    "yjkvoDD53n3X5CHhYkSymU77p0v6yWO38qDWeKJ-Fm_PrMAo72_rizDBj_yPa5LA3bT_EnsgZtC-sp8_"                       \
    "SCDIH41bjiCGpRHhqgZmyw\""
#define S63                                                                                                  \
    "\"{\\\"kty\\\":\\\"RSA\\\",\\\"e\\\":\\\"AQAB\\\",\\\"kid\\\":\\\"bf688c97-bf51-49ba-b9d3-"             \
    "115195bb0eb8\\\",\\\"n\\\":\\\"uJApsyzFv-Y85M5JjezHvMDw_spgVCI7BqpYhnzK3xXw1dnkz1bWXGA9yF6AeADlE-"      \
    "1yc1ozrAURTnFSihIgj414i3MC2_0FkNcdAbnX7d9q9_jdCkHda4HER0zzXCaHlgnzoAz6edUU800-h0LleLnfgg4UST-"          \
    "0DFTCIGpfTbs7OPSy2WgT1vP6xbB45CUOJA7o0q6XE-hdhWWN0plrDiYD-0Y1SpOQYXmHhSmr-WVeKeoh5_0zeEVab6TQYec_"      \
    "16ByEyepaZB0g6WyGkFE6aG1NrpvDd24s_h7BAJg_S2mtu1lKWEqYjOgwzEl5XQQyXbpnq1USb12ArX16rZdew\\\"}\""
#define S64                                                                                                  \
    "\"eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJFUzI1NiJ9.eyJuYmYiOiAxNDQ0NDc4NDAwLCAiaXNzIjogInh4eCJ9.lArczfN-"       \
    "pIL8oUU-7PU83u-zfXougXBZj6drFeKFsPEoVhy9WAyiZlRshYqjTSXdaw8yw2L-ovt4zTUZb2PWMg\""
#define S65                                                                                                  \
    "\"{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":\\\"P-256\\\",\\\"x\\\":"                                         \
    "\\\"z8J91ghFy5o6f2xZ4g8LsLH7u2wEpT2ntj8loahnlsE\\\",\\\"y\\\":"                                         \
    "\\\"7bdeXLH61KrGWRdh7ilnbcGQACxykaPKfmBccTHIOUo\\\"}\""
#define S66                                                                                                  \
    "\"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJmb28iOiJiYXIiLCJuYmYiOjE0NDQ0Nzg0MDB9."                       \
    "Yt89BjaPCNgol478rYyH66-XgkHos02TsVwxLH3ZlvOoIVjbhYW8q1_MHehct1-yBf1UOX3g-"                              \
    "lUrIjpoDtX1TfAESuaWTjYPixRvjfJ-Nn75JF8QuAl5PD27C6aJ4PjUPNfj0kwYBnNQ_oX-"                                \
    "ZFb781xRi7qRDB6swE4eBUxzHqKUJBLaMM2r8k1-9iE3ERNeqTJUhV__p0aSyRj-"                                       \
    "i62rdZ4TC5nhxtWodiGP4e4GrYlXkdaKduK63cfdJF-kfZfTsoDs_xy84pZOkzlflxuNv9bNqd-3ISAdWe4gsEvWWJ8v70-"        \
    "QWkydnH8rhj95DaqoXrjfzbOgDpKtdxJC4daVPKvntykzrxKhZ9UtWzm3OvJSKeyWujFZlldiTfBLqNDgdi-Boj_VxO5Pdh-"       \
    "67lC3L-pBMm4BgUqf6rakBQvoH7AV6zD5CbFixh7DuqJ4eJHHItWzJwDctMrV3asm-uOE1E2B7GErGo3iX6S9Iun_"              \
    "kvRUp6kyvOaDq5VvXzQOKyLQIQyHGGs0aIV5cFI2IuO5Rt0uUj5mzPQrQWHgI4r6Mc5bzmq2QLxBQE8OJ1RFhRpsuoWQyDM8aRiMQI" \
    "Je1g3x4dnxbJK4dYheYblKHFepScYqT1hllDp3oUNn89sIjQIhJTe8KFATu4K8ppluys7vhpE2a_tq8i5O0MFxWmsxN4Q\""
#define S67                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERT-----\\nMIIFiDCCA3ACCQCGV6XsfG/"                                                                    \
    "oRTANBgkqhkiG9w0BAQUFADCBhTELMAkGA1UEBhMC\\nVVMxEzARBgNVBAgMCkNhbGlmb3JuaWExFTATBgNVBAcMDFJlZHdvb2QgQ2" \
    "l0eTEO\\nMAwGA1UECgwFU3R5cmExDDAKBgNVBAsMA0RldjESMBAGA1UEAwwJbG9jYWxob3N0\\nMRgwFgYJKoZIhvcNAQkBFglhc2" \
    "hAc3R5cmEwHhcNMTgwMzA2MDAxNTU5WhcNMTkw\\nMzA2MDAxNTU5WjCBhTELMAkGA1UEBhMCVVMxEzARBgNVBAgMCkNhbGlmb3Jua" \
    "WEx\\nFTATBgNVBAcMDFJlZHdvb2QgQ2l0eTEOMAwGA1UECgwFU3R5cmExDDAKBgNVBAsM\\nA0RldjESMBAGA1UEAwwJbG9jYWxob" \
    "3N0MRgwFgYJKoZIhvcNAQkBFglhc2hAc3R5\\ncmEwggIiMA0GCSqGSIb3DQEBAQUAA4ICDwAwggIKAoICAQDucnAwTRA0zqDQ671L" \
    "\\nKWOVwhjhycFyzyhZUd7vhsnslOBiYM6TYIDXhETfAk2RQoRE/"                                                   \
    "9xF16woMD8FOglc\\nlSuhi+GNfFRif6LfArm84ZFj1ZS1MX2logikhXhRJQ7AOHe5+"                                    \
    "ED0re3KH5lWyqfz\\nR6bQuPYwTQSBJy6Tq7T9RiOM29yadCX64OaCEbzEFmHtNlbb5px4zCVvgskg/"                        \
    "fpV\\nGGCMpAYjGDatbxE5eAloVs1EJuI5RSqWr1JRm6EejxM04BFdfGn1HgWrsKXtlvBa\\n00/"                           \
    "AC0zXL5n6LK7+L3WbRguVTZcE4Yu70gDwhmM+"                                                                  \
    "VsKeT9LKClX003BNj0NJDRB9\\ndw9MaWxsXDNHNOWEfbnASXeP7ZRv3D81ftij6P8SL14ZnxyrRty8TAN4ij3wd41l\\nastRQCtr" \
    "JFi+HzO606XOp6HDzBoWT0DGl8Sn2hZ6RLPyBnD04vvvcSGeCVjHGOQ8\\nc3OTroK58u5MR/"                              \
    "q4T00sTkeeVAxuKoEWKsjIBYYrJTe/a2mEq9yiDGbPNYDnWnQZ\\njSUZm+Us23Y2sm/agZ5zKXcEuoecGL6sYCixr/"            \
    "xeB9BPxEiTthH+0M8OY99qpIhz\\nSmj41wdgQfzZi/6B8pIr77V/KywYKxJEmzw8Uy48aC/"                               \
    "rZ8WsT8QdKwclo1aiNJhx\\n79OvGbZFoeHD/w7igpx+ttpF/"                                                      \
    "wIDAQABMA0GCSqGSIb3DQEBBQUAA4ICAQC3wWUs\\nfXz+aSfFVz+"                                                  \
    "O3mLFkr65NIgazbGAySgMgMNVuadheIkPL4k21atyflfpx4pg9FGv\\n40vWCLMajpvynfz4oqah0BACnpqzQ8Dx6HYkmlXK8fLB+"  \
    "WtPrZBeUEsGPKuJYt4M\\nd5TeY3VpNgWOPXmnE4lvxHZqh/"                                                       \
    "8OwmOpjBfC9E3e2eqgwiwOkXnMaZEPgKP6JiWk\\nEFaQ9jgMQqJZnNcv6NmiqqsZeI0/"                                  \
    "NNjBpkmEWQl+wLegVusHiQ0FMBMQ0taEo21r\\nzUwHoNJR3h3wgGQiKxKOH1FUKHBV7hEqObLraD/"                         \
    "hfG5xYucJfvvAAP1iH0ycPs+9\\nhSccrn5/HY1c9AZnW8Kh7atp/wFP+sHjtECWK/"                                     \
    "lUmXfhASS293hprCpJk2n9pkmR\\nziXKJhjwkxlC8NcHuiVfaxdfDa4+1Qta2gK7GEypbvLoEmIt/dsYUsxUg84lwJJ9\\nnyC/"   \
    "pfZ5a8wFSf186JeVH4kHd3bnkzlQz460HndOMSJ/"                                                               \
    "Xi1wSfuZlOVupFf8TVKl\\np4j28MTLH2Wqx50NssKThdaX6hoCiMqreYa+EVaN1f/cIGQxZSCzdzMCKqdB8lKB\\n3Eax+5zsIa/"  \
    "UyPwGxZcyXBRHAlz5ZnkjuRxInyiMkBWWz3IZXjTe6Fq8BNd2UWNc\\nw35+2nO5n1LKXgR2+nzhZUOk8TPsi9WUywRluQ==\\n---" \
    "--END CERT-----\""
#define S68                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----\\nMIIFiDCCA3ACCQCGV6XsfG/"                                                             \
    "oRTANBgkqhkiG9w0BAQUFADCBhTELMAkGA1UEBhMC\\nVVMxEzARBgNVBAgMCkNhbGlmb3JuaWExFTATBgNVBAcMDFJlZHdvb2QgQ2" \
    "l0eTEO\\nMAwGA1UECgwFU3R5cmExDDAKBgNVBAsMA0RldjESMBAGA1UEAwwJbG9jYWxob3N0\\nMRgwFgYJKoZIhvcNAQkBFglhc2" \
    "hAc3R5cmEwHhcNMTgwMzA2MDAxNTU5WhcNMTkw\\nMzA2MDAxNTU5WjCBhTELMAkGA1UEBhMCVVMxEzARBgNVBAgMCkNhbGlmb3Jua" \
    "WEx\\nFTATBgNVBAcMDFJlZHdvb2QgQ2l0eTEOMAwGA1UECgwFU3R5cmExDDAKBgNVBAsM\\nA0RldjESMBAGA1UEAwwJbG9jYWxob" \
    "3N0MRgwFgYJKoZIhvcNAQkBFglhc2hAc3R5\\ncmEwggIiMA0GCSqGSIb3DQEBAQUAA4ICDwAwggIKAoICAQDucnAwTRA0zqDQ671L" \
    "\\nKWOVwhjhycFyzyhZUd7vhsnslOBiYM6TYIDXhETfAk2RQoRE/"                                                   \
    "9xF16woMD8FOglc\\nlSuhi+GNfFRif6LfArm84ZFj1ZS1MX2logikhXhRJQ7AOHe5+"                                    \
    "ED0re3KH5lWyqfz\\nR6bQuPYwTQSBJy6Tq7T9RiOM29yadCX64OaCEbzEFmHtNlbb5px4zCVvgskg/"                        \
    "fpV\\nGGCMpAYjGDatbxE5eAloVs1EJuI5RSqWr1JRm6EejxM04BFdfGn1HgWrsKXtlvBa\\n00/"                           \
    "AC0zXL5n6LK7+L3WbRguVTZcE4Yu70gDwhmM+"                                                                  \
    "VsKeT9LKClX003BNj0NJDRB9\\ndw9MaWxsXDNHNOWEfbnASXeP7ZRv3D81ftij6P8SL14ZnxyrRty8TAN4ij3wd41l\\nastRQCtr" \
    "JFi+HzO606XOp6HDzBoWT0DGl8Sn2hZ6RLPyBnD04vvvcSGeCVjHGOQ8\\nc3OTroK58u5MR/"                              \
    "q4T00sTkeeVAxuKoEWKsjIBYYrJTe/a2mEq9yiDGbPNYDnWnQZ\\njSUZm+Us23Y2sm/agZ5zKXcEuoecGL6sYCixr/"            \
    "xeB9BPxEiTthH+0M8OY99qpIhz\\nSmj41wdgQfzZi/6B8pIr77V/KywYKxJEmzw8Uy48aC/"                               \
    "rZ8WsT8QdKwclo1aiNJhx\\n79OvGbZFoeHD/w7igpx+ttpF/"                                                      \
    "wIDAQABMA0GCSqGSIb3DQEBBQUAA4ICAQC3wWUs\\nfXz+aSfFVz+"                                                  \
    "O3mLFkr65NIgazbGAySgMgMNVuadheIkPL4k21atyflfpx4pg9FGv\\n40vWCLMajpvynfz4oqah0BACnpqzQ8Dx6HYkmlXK8fLB+"  \
    "WtPrZBeUEsGPKuJYt4M\\nd5TeY3VpNgWOPXmnE4lvxHZqh/"                                                       \
    "8OwmOpjBfC9E3e2eqgwiwOkXnMaZEPgKP6JiWk\\nEFaQ9jgMQqJZnNcv6NmiqqsZeI0/"                                  \
    "NNjBpkmEWQl+wLegVusHiQ0FMBMQ0taEo21r\\nzUwHoNJR3h3wgGQiKxKOH1FUKHBV7hEqObLraD/"                         \
    "hfG5xYucJfvvAAP1iH0ycPs+9\\nhSccrn5/HY1c9AZnW8Kh7atp/wFP+sHjtECWK/"                                     \
    "lUmXfhASS293hprCpJk2n9pkmR\\nziXKJhjwkxlC8NcHuiVfaxdfDa4+1Qta2gK7GEypbvLoEmIt/dsYUsxUg84lwJJ9\\nnyC/"   \
    "pfZ5a8wFSf186JeVH4kHd3bnkzlQz460HndOMSJ/"                                                               \
    "Xi1wSfuZlOVupFf8TVKl\\np4j28MTLH2Wqx50NssKThdaX6hoCiMqreYa+EVaN1f/cIGQxZSCzdzMCKqdB8lKB\\n3Eax+5zsIa/"  \
    "UyPwGxZcyXBRHAlz5ZnkjuRxInyiMkBWWz3IZXjTe6Fq8BNd2UWNc\\nw35+2nO5n1LKXgR2+nzhZUOk8TPsi9WUywRluQ==\\n---" \
    "--END CERTIFICATE-----\\nEXTRA\""
#define S69                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----\\ndeadiDCCA3ACCQCGV6XsfG/"                                                             \
    "oRTANBgkqhkiG9w0BAQUFADCBhTELMAkGA1UEBhMC\\nVVMxEzARBgNVBAgMCkNhbGlmb3JuaWExFTATBgNVBAcMDFJlZHdvb2QgQ2" \
    "l0eTEO\\nMAwGA1UECgwFU3R5cmExDDAKBgNVBAsMA0RldjESMBAGA1UEAwwJbG9jYWxob3N0\\nMRgwFgYJKoZIhvcNAQkBFglhc2" \
    "hAc3R5cmEwHhcNMTgwMzA2MDAxNTU5WhcNMTkw\\nMzA2MDAxNTU5WjCBhTELMAkGA1UEBhMCVVMxEzARBgNVBAgMCkNhbGlmb3Jua" \
    "WEx\\nFTATBgNVBAcMDFJlZHdvb2QgQ2l0eTEOMAwGA1UECgwFU3R5cmExDDAKBgNVBAsM\\nA0RldjESMBAGA1UEAwwJbG9jYWxob" \
    "3N0MRgwFgYJKoZIhvcNAQkBFglhc2hAc3R5\\ncmEwggIiMA0GCSqGSIb3DQEBAQUAA4ICDwAwggIKAoICAQDucnAwTRA0zqDQ671L" \
    "\\nKWOVwhjhycFyzyhZUd7vhsnslOBiYM6TYIDXhETfAk2RQoRE/"                                                   \
    "9xF16woMD8FOglc\\nlSuhi+GNfFRif6LfArm84ZFj1ZS1MX2logikhXhRJQ7AOHe5+"                                    \
    "ED0re3KH5lWyqfz\\nR6bQuPYwTQSBJy6Tq7T9RiOM29yadCX64OaCEbzEFmHtNlbb5px4zCVvgskg/"                        \
    "fpV\\nGGCMpAYjGDatbxE5eAloVs1EJuI5RSqWr1JRm6EejxM04BFdfGn1HgWrsKXtlvBa\\n00/"                           \
    "AC0zXL5n6LK7+L3WbRguVTZcE4Yu70gDwhmM+"                                                                  \
    "VsKeT9LKClX003BNj0NJDRB9\\ndw9MaWxsXDNHNOWEfbnASXeP7ZRv3D81ftij6P8SL14ZnxyrRty8TAN4ij3wd41l\\nastRQCtr" \
    "JFi+HzO606XOp6HDzBoWT0DGl8Sn2hZ6RLPyBnD04vvvcSGeCVjHGOQ8\\nc3OTroK58u5MR/"                              \
    "q4T00sTkeeVAxuKoEWKsjIBYYrJTe/a2mEq9yiDGbPNYDnWnQZ\\njSUZm+Us23Y2sm/agZ5zKXcEuoecGL6sYCixr/"            \
    "xeB9BPxEiTthH+0M8OY99qpIhz\\nSmj41wdgQfzZi/6B8pIr77V/KywYKxJEmzw8Uy48aC/"                               \
    "rZ8WsT8QdKwclo1aiNJhx\\n79OvGbZFoeHD/w7igpx+ttpF/"                                                      \
    "wIDAQABMA0GCSqGSIb3DQEBBQUAA4ICAQC3wWUs\\nfXz+aSfFVz+"                                                  \
    "O3mLFkr65NIgazbGAySgMgMNVuadheIkPL4k21atyflfpx4pg9FGv\\n40vWCLMajpvynfz4oqah0BACnpqzQ8Dx6HYkmlXK8fLB+"  \
    "WtPrZBeUEsGPKuJYt4M\\nd5TeY3VpNgWOPXmnE4lvxHZqh/"                                                       \
    "8OwmOpjBfC9E3e2eqgwiwOkXnMaZEPgKP6JiWk\\nEFaQ9jgMQqJZnNcv6NmiqqsZeI0/"                                  \
    "NNjBpkmEWQl+wLegVusHiQ0FMBMQ0taEo21r\\nzUwHoNJR3h3wgGQiKxKOH1FUKHBV7hEqObLraD/"                         \
    "hfG5xYucJfvvAAP1iH0ycPs+9\\nhSccrn5/HY1c9AZnW8Kh7atp/wFP+sHjtECWK/"                                     \
    "lUmXfhASS293hprCpJk2n9pkmR\\nziXKJhjwkxlC8NcHuiVfaxdfDa4+1Qta2gK7GEypbvLoEmIt/dsYUsxUg84lwJJ9\\nnyC/"   \
    "pfZ5a8wFSf186JeVH4kHd3bnkzlQz460HndOMSJ/"                                                               \
    "Xi1wSfuZlOVupFf8TVKl\\np4j28MTLH2Wqx50NssKThdaX6hoCiMqreYa+EVaN1f/cIGQxZSCzdzMCKqdB8lKB\\n3Eax+5zsIa/"  \
    "UyPwGxZcyXBRHAlz5ZnkjuRxInyiMkBWWz3IZXjTe6Fq8BNd2UWNc\\nw35+2nO5n1LKXgR2+nzhZUOk8TPsi9WUywRluQ==\\n---" \
    "--END CERTIFICATE-----\""
#define S70                                                                                                  \
    "\"{\\\"kty\\\":\\\"bogus key "                                                                          \
    "type\\\",\\\"e\\\":\\\"AQAB\\\",\\\"kid\\\":\\\"4db88b6b-cda9-4242-b79e-51346edc313c\\\",\\\"n\\\":"    \
    "\\\"7nJwME0QNM6g0Ou9SyljlcIY4cnBcs8oWVHe74bJ7JTgYmDOk2CA14RE3wJNkUKERP_cRdesKDA_BToJXJUroYvhjXxUYn-"    \
    "i3wK5vOGRY9WUtTF9paIIpIV4USUOwDh3ufhA9K3tyh-ZVsqn80em0Lj2ME0EgScuk6u0_UYjjNvcmnQl-uDmghG8xBZh7TZW2-"    \
    "aceMwlb4LJIP36VRhgjKQGIxg2rW8ROXgJaFbNRCbiOUUqlq9SUZuhHo8TNOARXXxp9R4Fq7Cl7ZbwWtNPwAtM1y-Z-iyu_"        \
    "i91m0YLlU2XBOGLu9IA8IZjPlbCnk_SygpV9NNwTY9DSQ0QfXcPTGlsbFwzRzTlhH25wEl3j-2Ub9w_NX7Yo-j_"                \
    "Ei9eGZ8cq0bcvEwDeIo98HeNZWrLUUArayRYvh8zutOlzqehw8waFk9AxpfEp9oWekSz8gZw9OL773EhnglYxxjkPHNzk66CufLuTE" \
    "f6uE9NLE5HnlQMbiqBFirIyAWGKyU3v2tphKvcogxmzzWA51p0GY0lGZvlLNt2NrJv2oGecyl3BLqHnBi-rGAosa_"              \
    "8XgfQT8RIk7YR_tDPDmPfaqSIc0po-NcHYEH82Yv-gfKSK--1fyssGCsSRJs8PFMuPGgv62fFrE_EHSsHJaNWojSYce_"           \
    "Trxm2RaHhw_8O4oKcfrbaRf8\\\"}\""
#define S71                                                                                                  \
    "\"eyJhbGciOiJSUzM4NCJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0.b__"                     \
    "y2zjqMoD7iWbHeQ0lNpnche3ph5-"                                                                           \
    "AwrIQICLMQQGtEz9WMBteHydkC5g01bm3TBX1d04Z5IEOsuK6btAtWma04c5NYqaUyNEUJKYCFoY02uH0jGdGfL6R5Kkv0lkNvN0s3" \
    "Nex9jMaVVgqx8bcrOU0uRBFT67sXcm11LHaB9BwKFslolzHClxgXy5RIZb4OFk_"                                        \
    "7Yk7xTC6PcvEWkkGR9uXBhfDEig5WqdwOWPeulimvARDw14U35rzeh9xpGAPjBKeE-y20fXAk0cSF1H69C-"                    \
    "Qa1jDQheYIrAJ6XMYGNZWuay5-smmeefe67eweEt1q-AD1NFepqkmZX382DGuYQ\""
#define S72                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIIDXDCCAkSgAwIBAgIBLjANBgkqhkiG9w0BAQsFADBWMQswCQYDVQQGEwJVUzEV\\nMBMGA1UEBxMMUmVkd29vZCBDaXR5MQ4w" \
    "DAYDVQQKEwVTdHlyYTEMMAoGA1UECxMD\\nRGV2MRIwEAYDVQQDEwlsb2NhbGhvc3QwHhcNMjAwNTA3MDg1MTAzWhcNMjAwNTA3\\n" \
    "MTA1MTAzWjBWMQswCQYDVQQGEwJVUzEVMBMGA1UEBxMMUmVkd29vZCBDaXR5MQ4w\\nDAYDVQQKEwVTdHlyYTEMMAoGA1UECxMDRGV" \
    "2MRIwEAYDVQQDEwlsb2NhbGhvc3Qw\\nggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDeRmygX/"                     \
    "fOOUu5Wm91PFNo\\nsHDG1CzG9a1iKBjUeMgi9bXXScUfatPmsNlxb56uSi0RXUsvJmY/"                                  \
    "yxkIIhRyapxW\\n49j2idAM3SGGL1nOZf/XdpDHYsAFFZ237HGb8DOEk/p3xCFv0tH/"                                    \
    "iQ+kLP36EM1+"                                                                                           \
    "\\ntn6BfUXdJnVyvkSK2iMNeRY7A4DMX7sGX39LXsVJiCokIC8E0QUFrSjvrAm9ejKE\\ntPojydo4c3VUxLfmFuyMXoD3bfk1Jv5i" \
    "2J5RjtomjgK6zNCvgYzpspiodHChkzlU\\nX8yk2YqlAHX3XdJA94LaDE2kNXiOQnFkUb8GsP7hmEbwGtMUEQie+"               \
    "jfgKplxJ49B\\nAgMBAAGjNTAzMA4GA1UdDwEB/"                                                                \
    "wQEAwIFoDATBgNVHSUEDDAKBggrBgEFBQcDATAM\\nBgNVHRMBAf8EAjAAMA0GCSqGSIb3DQEBCwUAA4IBAQC9f2/"              \
    "kxT7DnQ94ownhHvd6\\nrzk1WirI90rFM2MxhfkaDrOHhSGZL9nDf6TIZ4qeFKZXthpKxpiZm2Oxmn+"                        \
    "vUsik\\nW6bYjq1nX0GCchQLaaFf9Jh1IOLwkfoBdX55tV8xUGHRWgDlCuGbqiixz+Bm0Kap\\nkmbyJynVcoiKhdLyYm/YTn/"     \
    "pC32SJW666reQ+0qCAoxzLQowBetHjwDam9RsDEf4\\n+JRDjYPutNXyJ5X8BaBA6PzHanzMG/7RFYcx/"                      \
    "2YhXwVxdfPHku4ALJcddIGAGNx2\\n5yte+HY0aEu+06J67eD9+4fU7NixRMKigk9KbjqpeWD+0be+VgX8Dot4jaISgI/"          \
    "3\\n-----END CERTIFICATE-----\""
#define S73                                                                                                  \
    "\"-----BEGIN PUBLIC "                                                                                   \
    "KEY-----\\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3kZsoF/"                                         \
    "3zjlLuVpvdTxT\\naLBwxtQsxvWtYigY1HjIIvW110nFH2rT5rDZcW+"                                                \
    "erkotEV1LLyZmP8sZCCIUcmqc\\nVuPY9onQDN0hhi9ZzmX/13aQx2LABRWdt+xxm/AzhJP6d8Qhb9LR/"                      \
    "4kPpCz9+hDN\\nfrZ+gX1F3SZ1cr5EitojDXkWOwOAzF+7Bl9/"                                                     \
    "S17FSYgqJCAvBNEFBa0o76wJvXoy\\nhLT6I8naOHN1VMS35hbsjF6A9235NSb+YtieUY7aJo4CuszQr4GM6bKYqHRwoZM5\\nVF/"  \
    "MpNmKpQB1913SQPeC2gxNpDV4jkJxZFG/BrD+4ZhG8BrTFBEInvo34CqZcSeP\\nQQIDAQAB\\n-----END PUBLIC KEY-----\""
#define S74                                                                                                  \
    "\"{\\\"kty\\\":\\\"RSA\\\",\\\"n\\\":\\\"3kZsoF_3zjlLuVpvdTxTaLBwxtQsxvWtYigY1HjIIvW110nFH2rT5rDZcW-"   \
    "erkotEV1LLyZmP8sZCCIUcmqcVuPY9onQDN0hhi9ZzmX_13aQx2LABRWdt-xxm_AzhJP6d8Qhb9LR_4kPpCz9-hDNfrZ-"          \
    "gX1F3SZ1cr5EitojDXkWOwOAzF-7Bl9_S17FSYgqJCAvBNEFBa0o76wJvXoyhLT6I8naOHN1VMS35hbsjF6A9235NSb-"           \
    "YtieUY7aJo4CuszQr4GM6bKYqHRwoZM5VF_MpNmKpQB1913SQPeC2gxNpDV4jkJxZFG_BrD-"                               \
    "4ZhG8BrTFBEInvo34CqZcSePQQ\\\",\\\"e\\\":\\\"AQAB\\\"}\""
#define S75                                                                                                  \
    "\"eyJhbGciOiJSUzUxMiJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0.VSe3qK5Gp0Q0_"           \
    "5nRgMFu25yw74FIgX-kXPOemSi62l-AxeVdUw8rOpEFrSTCaVjd3mPfKb-B056a-gtrbpXK9sUQnFdqdsyt8gHK-"               \
    "umz5lVyWfoAgj51Ontv-9K_"                                                                                \
    "pRORD9wqKqdTLZjCxJ5tyKoO0gY3SwwqSqGrp85vUjvEcK3jbMKINGRUNnOokeSm7byUEJsfKVUbPboSX1TGyvjDOZxxSITj8-"     \
    "bzZZ3F21DJ23N2IiJN7FW8Xj-SYyphXo-ML50o5bjW9YlQ5BDk-RW1I4eE-KpsxhApPv_"                                  \
    "xIgE8d89PVtXFuoJtv0yLRaZ1q04Fl9KNoMyZrmr349yppn0JlQ\""
#define S76                                                                                                  \
    "\"eyJhbGciOiJQUzM4NCJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0."                        \
    "EHPUvPr6uJOYqdza95WbM1SYD8atZHJEVRggpwOWnHGsjQBoEarJb8QgW7TY22OXwGw2HWluTiyT_"                          \
    "MAz02NaHRzZv6AgrmxCLChMWkCHLwPxqjs0xSvVAMLzHHq2X2Bcujo9KORGudR7zKz8pOX5Mfnm7Z6OGtqPCPLaIdVJlddNsG6a571" \
    "NOuVuDWbcg0omeRDANZpCZMJeAQN2M-4Q61ef6zcQHK1R-QqzBhw6HzMgqR1LRJ0xbrmD-"                                 \
    "L5o53JM3pV1e1juKNXVK3vWkDQRCQORFn1lyH5isfSsiiHW-x90sUC7TrU_cOji4MMmOCME6kkwxe57ZgpeXtdVTvldpw\""
#define S77                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIIDXDCCAkSgAwIBAgIBKjANBgkqhkiG9w0BAQsFADBWMQswCQYDVQQGEwJVUzEV\\nMBMGA1UEBxMMUmVkd29vZCBDaXR5MQ4w" \
    "DAYDVQQKEwVTdHlyYTEMMAoGA1UECxMD\\nRGV2MRIwEAYDVQQDEwlsb2NhbGhvc3QwHhcNMjAwNTA3MDkxMjU2WhcNMjAwNTA3\\n" \
    "MTExMjU2WjBWMQswCQYDVQQGEwJVUzEVMBMGA1UEBxMMUmVkd29vZCBDaXR5MQ4w\\nDAYDVQQKEwVTdHlyYTEMMAoGA1UECxMDRGV" \
    "2MRIwEAYDVQQDEwlsb2NhbGhvc3Qw\\nggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDtyVWH2FE8cU8LRcArH4Tw\\nDhB" \
    "OFcmJF28LrvRObcbDYsae6rEwby0aRgSxjTEMgyGBjroBSl22wOSA93kwx4pu\\npfXEqbwywn9FhyKBb/"                     \
    "OXQSglPmwrpmzQtPJGzBHncL+PPjRhPfqimwf7ZIPKAAgI\\nz9O6ppGhE/"                                            \
    "x4Ct444jthUIBZuG5cUXhgiPBQdIQ3K88QhgVwcufTZkNHj4iSDfhl\\nVFDHVjXjd2B/"                                  \
    "yGODjyv0TyChV0YBNGjMv7YFLWmIFUFzK+6qNSxu4czPtRkyfwaV\\n2GW/"                                            \
    "PBT5f8fc6fKgQZ6k6BLK6+pi0iPh5TUizyHtqtueWDbrJ+wfdJilQS8D+EGr\\nAgMBAAGjNTAzMA4GA1UdDwEB/"               \
    "wQEAwIFoDATBgNVHSUEDDAKBggrBgEFBQcDATAM\\nBgNVHRMBAf8EAjAAMA0GCSqGSIb3DQEBCwUAA4IBAQBgVAM50/"           \
    "0aBTBxESYKIKN4\\nE+qbV6aE0C+wYJLet0EWPTxwmFZamq5LNEO/D6xyoY5WHY60EyHRMs0agSB/"                          \
    "ATBX\\n5ULdEwh9G0NjxqivCcoddQ1fuVS2PrrqNL7VlRnYbTpd8/Dh4qnyl5FltlyZ/"                                   \
    "29L\\ny7BWOwlcBlZdhsfH8svNX4PUxjRD+jmnczCDi7XSOKT8htKUV2ih1c9JrWpIhCi/"                                 \
    "\\nHzEXkaAxNdhBNdIsLQMo3qq9fkSgNZQk9/ecJNPeuJ/UYyr5Xa4PxIWl4U+P7yuI\\n+Q3FSPmUbiVsSGqMhh6V/DN8M+T5/"    \
    "KiSB47gFOfxc2/RR5aw4HkSp3WxwbT9njbE\\n-----END CERTIFICATE-----\""
#define S78                                                                                                  \
    "\"-----BEGIN PUBLIC "                                                                                   \
    "KEY-----\\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA7clVh9hRPHFPC0XAKx+"                             \
    "E\\n8A4QThXJiRdvC670Tm3Gw2LGnuqxMG8tGkYEsY0xDIMhgY66AUpdtsDkgPd5MMeK\\nbqX1xKm8MsJ/RYcigW/"             \
    "zl0EoJT5sK6Zs0LTyRswR53C/jz40YT36opsH+2SDygAI\\nCM/"                                                    \
    "TuqaRoRP8eAreOOI7YVCAWbhuXFF4YIjwUHSENyvPEIYFcHLn02ZDR4+Ikg34\\nZVRQx1Y143dgf8hjg48r9E8goVdGATRozL+"    \
    "2BS1piBVBcyvuqjUsbuHMz7UZMn8G\\nldhlvzwU+X/H3OnyoEGepOgSyuvqYtIj4eU1Is8h7arbnlg26yfsH3SYpUEvA/"         \
    "hB\\nqwIDAQAB\\n-----END PUBLIC KEY-----\""
#define S79                                                                                                  \
    "\"{\\\"kty\\\":\\\"RSA\\\",\\\"n\\\":\\\"7clVh9hRPHFPC0XAKx-"                                           \
    "E8A4QThXJiRdvC670Tm3Gw2LGnuqxMG8tGkYEsY0xDIMhgY66AUpdtsDkgPd5MMeKbqX1xKm8MsJ_RYcigW_"                   \
    "zl0EoJT5sK6Zs0LTyRswR53C_jz40YT36opsH-2SDygAICM_"                                                       \
    "TuqaRoRP8eAreOOI7YVCAWbhuXFF4YIjwUHSENyvPEIYFcHLn02ZDR4-Ikg34ZVRQx1Y143dgf8hjg48r9E8goVdGATRozL-"       \
    "2BS1piBVBcyvuqjUsbuHMz7UZMn8GldhlvzwU-X_H3OnyoEGepOgSyuvqYtIj4eU1Is8h7arbnlg26yfsH3SYpUEvA_hBqw\\\","   \
    "\\\"e\\\":\\\"AQAB\\\"}\""
#define S80                                                                                                  \
    "\"eyJhbGciOiJQUzUxMiJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0.VRlkPtiUq5MmBNgyuBqxv2_" \
    "aX40STrWrBB2sSmGbxI78jVG_3hVoh7Mk-wUmFL389qpf05xNdn-gpMe-"                                              \
    "MSDUux7U7EuFspFZdYTUBo9wRvEBe4e1rHUCG00lVdYCG7eEgbAxM3cUhrHRwExBte30qBrFFUY9FgG-"                       \
    "kJdYhgyh7VquMGuKgiS8CP_H0Gp1mIvTw6eEnSFAoKiryw9edUZ78pHELNn4y18YZvEndeNZh7f19LCtrB0G2bJUHGM4vPcwo2D-"   \
    "UAhEFBpSlnnqXDLSWOhUgLNLu0kZACXhT808KT6fdF6eFihdThmWN7_HUz2znjrjs71CqqDJgLhkGs8UvQ\""
#define S81                                                                                                  \
    "\"eyJhbGciOiJFUzM4NCJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0."                        \
    "w85PzWrIQbJBOROnah0pa8or2LsXWnj88bwG1R-zf5Mm20CaYGPKPTQEsU_y-dzaWyDV1Na7nfaGaH3Khcvj8yS-"               \
    "bidZ0OZVVFDk9oabX7ZYvAHo2pTAOfxc11TeOYSF\""
#define S82                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIICDDCCAZOgAwIBAgIBIzAKBggqhkjOPQQDAzBWMQswCQYDVQQGEwJVUzEVMBMG\\nA1UEBxMMUmVkd29vZCBDaXR5MQ4wDAYD" \
    "VQQKEwVTdHlyYTEMMAoGA1UECxMDRGV2\\nMRIwEAYDVQQDEwlsb2NhbGhvc3QwHhcNMjAwNTA3MDk0MzU1WhcNMjAwNTA3MTE0\\n" \
    "MzU1WjBWMQswCQYDVQQGEwJVUzEVMBMGA1UEBxMMUmVkd29vZCBDaXR5MQ4wDAYD\\nVQQKEwVTdHlyYTEMMAoGA1UECxMDRGV2MRI" \
    "wEAYDVQQDEwlsb2NhbGhvc3QwdjAQ\\nBgcqhkjOPQIBBgUrgQQAIgNiAARjcwW7g9wx4ePsuwcVzDJCVo4f8I1C1X5US4B1\\nrWN" \
    "+5zFSJoGCKaPTXMDhAdS08D1G20AIRmA0AlVVXRxrZYZ+Y282O6s+EGsB5T1W\\nMCnUFk2Sa+"                             \
    "xZiGPApYz4zSGbNEqjNTAzMA4GA1UdDwEB/"                                                                    \
    "wQEAwIFoDATBgNVHSUE\\nDDAKBggrBgEFBQcDATAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMDA2cAMGQCMGSG\\nVjx3DZP71ZGND" \
    "Bw+AVdhNU3pgJW8kNpqjta3HFLb6pzqNOsfOn1ZeIWciEcyEgIw\\nTGxli48W1AJ2s7Pw+3wOA6f9HAmczJPaiZ9CY038UiT8mk+"  \
    "pND5FEdqLhT/5lMEz\\n-----END CERTIFICATE-----\""
#define S83                                                                                                  \
    "\"-----BEGIN PUBLIC "                                                                                   \
    "KEY-----\\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEY3MFu4PcMeHj7LsHFcwyQlaOH/"                                  \
    "CNQtV+\\nVEuAda1jfucxUiaBgimj01zA4QHUtPA9RttACEZgNAJVVV0ca2WGfmNvNjurPhBr\\nAeU9VjAp1BZNkmvsWYhjwKWM+"  \
    "M0hmzRK\\n-----END PUBLIC KEY-----\""
#define S84                                                                                                  \
    "\"{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":\\\"P-384\\\",\\\"x\\\":\\\"Y3MFu4PcMeHj7LsHFcwyQlaOH_CNQtV-"     \
    "VEuAda1jfucxUiaBgimj01zA4QHUtPA9\\\",\\\"y\\\":"                                                        \
    "\\\"RttACEZgNAJVVV0ca2WGfmNvNjurPhBrAeU9VjAp1BZNkmvsWYhjwKWM-M0hmzRK\\\"}\""
#define S85                                                                                                  \
    "\"eyJhbGciOiJFUzUxMiJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0."                        \
    "AYpssEoEqq9We9aKsnRykpECAVEOBRJJu8UgDzoL-F8fmB2LPxpS4Gl7D-9wAO5AJt4-"                                   \
    "9YSsgOb5FLc20MrZN30AAFYopZf75T1pEJQFrdDmOKT45abbrorcR7G_AHDbhBdDNM_R6GojYFg_HPxHndof745Yq5Tfw9PpJc-"    \
    "9kSyk6kqO\""
#define S86                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIICWDCCAbmgAwIBAgIBAjAKBggqhkjOPQQDBDBWMQswCQYDVQQGEwJVUzEVMBMG\\nA1UEBxMMUmVkd29vZCBDaXR5MQ4wDAYD" \
    "VQQKEwVTdHlyYTEMMAoGA1UECxMDRGV2\\nMRIwEAYDVQQDEwlsb2NhbGhvc3QwHhcNMjAwNTA3MTA1NDM3WhcNMjAwNTA3MTI1\\n" \
    "NDM3WjBWMQswCQYDVQQGEwJVUzEVMBMGA1UEBxMMUmVkd29vZCBDaXR5MQ4wDAYD\\nVQQKEwVTdHlyYTEMMAoGA1UECxMDRGV2MRI" \
    "wEAYDVQQDEwlsb2NhbGhvc3QwgZsw\\nEAYHKoZIzj0CAQYFK4EEACMDgYYABAHLm3IMD/88vC/"                            \
    "S1cCTyjrCjwHIGsjibFBw\\nPBXt36YKCjUdS7jiJJR5YQVPypSv7gPaKKn1E8CqkfVdd3rrp1TocAEms4XvigtW\\nZBZzffw9xyZ" \
    "CgmtQ2dTHsufi/5W/Yx8N3Uw+D2wl1LKcJraouo+qgamGfuou6WbA\\noPEtdOg0+B4jF6M1MDMwDgYDVR0PAQH/"               \
    "BAQDAgWgMBMGA1UdJQQMMAoGCCsGAQUF\\nBwMBMAwGA1UdEwEB/"                                                   \
    "wQCMAAwCgYIKoZIzj0EAwQDgYwAMIGIAkIAzAAYDqMghX3S\\n8UbS8s5TPAztJy9oNXFra5V8pPlUdNFc2ov2LN++scW46wCb/"    \
    "cJUyEc58sY7xFuK\\nI5sCOkv95N8CQgFXmu354LZJ31zIovuUA8druOPe3TDnxMGwEEm2Lt43JNuhzNyP\\nhJYh9/"            \
    "QKfe2AiwrLXEG4VVOIXdjq7vexl87evg==\\n-----END CERTIFICATE-----\""
#define S87                                                                                                  \
    "\"-----BEGIN PUBLIC "                                                                                   \
    "KEY-----\\nMIGbMBAGByqGSM49AgEGBSuBBAAjA4GGAAQBy5tyDA//"                                                \
    "PLwv0tXAk8o6wo8ByBrI\\n4mxQcDwV7d+mCgo1HUu44iSUeWEFT8qUr+"                                              \
    "4D2iip9RPAqpH1XXd666dU6HABJrOF\\n74oLVmQWc338PccmQoJrUNnUx7Ln4v+"                                       \
    "Vv2MfDd1MPg9sJdSynCa2qLqPqoGphn7q\\nLulmwKDxLXToNPgeIxc=\\n-----END PUBLIC KEY-----\""
#define S88                                                                                                  \
    "\"{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":\\\"P-521\\\",\\\"x\\\":\\\"AcubcgwP_"                            \
    "zy8L9LVwJPKOsKPAcgayOJsUHA8Fe3fpgoKNR1LuOIklHlhBU_KlK_uA9ooqfUTwKqR9V13euunVOhw\\\",\\\"y\\\":"         \
    "\\\"ASazhe-KC1ZkFnN9_D3HJkKCa1DZ1Mey5-L_lb9jHw3dTD4PbCXUspwmtqi6j6qBqYZ-6i7pZsCg8S106DT4HiMX\\\"}\""
#define S89                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----\\nMIIBoDCCAUagAwIBAgIRAJXcMYZALXooNq/VV/"                                              \
    "grXhMwCgYIKoZIzj0EAwIwLjER\\nMA8GA1UEChMIT1BBIFRlc3QxGTAXBgNVBAMTEE9QQSBUZXN0IFJvb3QgQ0EwHhcN\\nMjEwNz" \
    "AxMTc0MTUzWhcNMzEwNjI5MTc0MTUzWjAuMREwDwYDVQQKEwhPUEEgVGVz\\ndDEZMBcGA1UEAxMQT1BBIFRlc3QgUm9vdCBDQTBZM" \
    "BMGByqGSM49AgEGCCqGSM49\\nAwEHA0IABFqhdZA5LjsJgzsBvhgzfayZFOk+"                                         \
    "C7PmGCi7xz6zOC3xWORJZSNOyZeJ\\nYzSKFmoMZkcFMfslTW1jp9fwe1xl3HWjRTBDMA4GA1UdDwEB/"                       \
    "wQEAwIBBjASBgNV\\nHRMBAf8ECDAGAQH/"                                                                     \
    "AgEBMB0GA1UdDgQWBBTch60qxQvLl+AfDfcaXmjvT8GvpzAK\\nBggqhkjOPQQDAgNIADBFAiBqraIP0l2U0oNuH0+"             \
    "rf36hDks94wSB5EGlGH3lYNMR\\nugIhANkbukX5hOP8pJDRWP/pYuv6MBnRY4BS8gpp9Vu31qOb\\n-----END "               \
    "CERTIFICATE-----\\n-----BEGIN "                                                                         \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIIByDCCAW6gAwIBAgIQC0k4DPGrh9me73EJX5zntTAKBggqhkjOPQQDAjAuMREw\\nDwYDVQQKEwhPUEEgVGVzdDEZMBcGA1UE" \
    "AxMQT1BBIFRlc3QgUm9vdCBDQTAeFw0y\\nMTA3MDExNzQxNTNaFw0zMTA2MjkxNzQxNTNaMDYxETAPBgNVBAoTCE9QQSBUZXN0\\n" \
    "MSEwHwYDVQQDExhPUEEgVGVzdCBJbnRlcm1lZGlhdGUgQ0EwWTATBgcqhkjOPQIB\\nBggqhkjOPQMBBwNCAARvXQa7fy476gDI81n" \
    "qLYb2SnD459WxBmU0hk2bA3ZuNtI+\\nH20KXz6ISmxH3MZ2WBm6rOy7y4Gn+"                                          \
    "WMCJuxzcl5jo2YwZDAOBgNVHQ8BAf8EBAMC\\nAQYwEgYDVR0TAQH/BAgwBgEB/"                                        \
    "wIBADAdBgNVHQ4EFgQUuslZNjJl0V8I1Gj17IID\\nALy/9WEwHwYDVR0jBBgwFoAU3IetKsULy5fgHw33Gl5o70/"              \
    "Br6cwCgYIKoZIzj0E\\nAwIDSAAwRQIgUwsYApW9Tsm6AstWswaKGie0srB4FUkUbfKwWmUI2JgCIQCBTySN\\nMF+EiQAMKyz/"    \
    "N9KUuXEckC356WvKcyJaYYcV0w==\\n-----END CERTIFICATE-----\\n-----BEGIN "                                 \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIIB8zCCAZqgAwIBAgIRAID4gPKg7DDiuOfzUYFSXLAwCgYIKoZIzj0EAwIwNjER\\nMA8GA1UEChMIT1BBIFRlc3QxITAfBgNV" \
    "BAMTGE9QQSBUZXN0IEludGVybWVkaWF0\\nZSBDQTAeFw0yMTA3MDUxNzQ5NTBaFw0zNjA3MDExNzQ5NDdaMCUxIzAhBgNVBAMT\\n" \
    "Gm5vdGFyZWFsc2l0ZS5vcGEubG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0D\\nAQcDQgAE1YSXZXeaGGL+XeYyoPi/"        \
    "QdA39Ds4fgxSHJTMh+js393kByPm2PNtFkem\\ntUii3KCRJw3SEh3z0JWr/"                                           \
    "9y4+"                                                                                                   \
    "ua2L6OBmTCBljAOBgNVHQ8BAf8EBAMCB4AwHQYD\\nVR0lBBYwFAYIKwYBBQUHAwEGCCsGAQUFBwMCMB0GA1UdDgQWBBRL0P0g17vi" \
    "ZHo9\\nCnXe3ZQJm48LXTAfBgNVHSMEGDAWgBS6yVk2MmXRXwjUaPXsggMAvL/"                                         \
    "1YTAlBgNV\\nHREEHjAcghpub3RhcmVhbHNpdGUub3BhLmxvY2FsaG9zdDAKBggqhkjOPQQDAgNH\\nADBEAiAtmZewL94ijN0YwUG" \
    "aJM9BXCaoTQPwkzugqjCj+K912QIgKKFvbPu4asrE\\nnwy7dzejHmQUcZ/aUNbc4VTbiv15ESk=\\n-----END "               \
    "CERTIFICATE-----\\n\""
#define S90                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIIB1TCCAXugAwIBAgIIKIoxsnMwJJ4wCgYIKoZIzj0EAwIwPTELMAkGA1UEBhMC\\nR0IxEDAOBgNVBAoTB0V4YW1wbGUxHDAa" \
    "BgNVBAUTEzI5MjEyMDE5NTA4MDk2NjI2\\nMjIwIBcNMjMxMTI5MTc1NTQ2WhgPMjEyMzExMDUxNzU1NDZaMD0xCzAJBgNVBAYT\\n" \
    "AkdCMRAwDgYDVQQKEwdFeGFtcGxlMRwwGgYDVQQFExMyOTIxMjAxOTUwODA5NjYy\\nNjIyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQc" \
    "DQgAEkvI9ddM0SuP9LvBWS1y64fuK\\nELCjVF5W3FSKm3azKEkDi8Eq1I1UM80MgCjC5ChNNyM4+"                          \
    "cmVUDrCkTl3SqRxa6Nj\\nMGEwDgYDVR0PAQH/BAQDAgIEMA8GA1UdEwEB/"                                            \
    "wQFMAMBAf8wHQYDVR0OBBYEFF7H\\nA8n3mXXnwUP0ypMJ9JwY5wasMB8GA1UdEQQYMBaGFHNwaWZmZTovL2V4YW1wbGUu\\nY29tM" \
    "AoGCCqGSM49BAMCA0gAMEUCIByB2l5RIWmaU8qcRv13qigbB9BV/F2raEk+\\npRQnsUcgAiEA9OvBpPKC/"                    \
    "FBkI5vVvR7WgK5sGPna4+a0RkXxRQgN2jM=\\n-----END CERTIFICATE-----\\n-----BEGIN "                          \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIIB1jCCAXygAwIBAgIIV9914tIKKkMwCgYIKoZIzj0EAwIwPTELMAkGA1UEBhMC\\nR0IxEDAOBgNVBAoTB0V4YW1wbGUxHDAa" \
    "BgNVBAUTEzI5MjEyMDE5NTA4MDk2NjI2\\nMjIwIBcNMjMxMTI5MTc1NTQ2WhgPMjEyMjExMDUxNzU1NDZaMD0xCzAJBgNVBAYT\\n" \
    "AkdCMRAwDgYDVQQKEwdFeGFtcGxlMRwwGgYDVQQFExM2MzMxOTA5MjE4MTUzMTQ2\\nOTQ3MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQc" \
    "DQgAEMoy2UqvC8zL3sPfLNvG1nX5p\\n6hhEyDjFtokORB4VkKiPXFryIFn8XHG0ipz6aKSwVMoDT2T/YXP/"                   \
    "wWpVwPJCi6Nk\\nMGIwDgYDVR0PAQH/"                                                                        \
    "BAQDAgeAMB0GA1UdJQQWMBQGCCsGAQUFBwMCBggrBgEFBQcD\\nATAMBgNVHRMBAf8EAjAAMCMGA1UdEQQcMBqGGHNwaWZmZTovL2V" \
    "4YW1wbGUuY29t\\nL29wYTAKBggqhkjOPQQDAgNIADBFAiBEmdSKGj2+9J5SQPIAmwdxpVTOxqmVQv2x\\nVvita/AmowIhAOyX/"   \
    "alNJxL4iCfKUNwlC2lYxGhuWopWgB1Q32bQhTEh\\n-----END CERTIFICATE-----\\n\""
#define S91                                                                                                  \
    "\"MIIDujCCAqKgAwIBAgIIE31FZVaPXTUwDQYJKoZIhvcNAQEFBQAwSTELMAkGA1UEBhMCVVMxEzARBgNVBAoTCkdvb2dsZSBJbmMx" \
    "JTAjBgNVBAMTHEdvb2dsZSBJbnRlcm5ldCBBdXRob3JpdHkgRzIwHhcNMTQwMTI5MTMyNzQzWhcNMTQwNTI5MDAwMDAwWjBpMQswCQ" \
    "YDVQQGEwJVUzETMBEGA1UECAwKQ2FsaWZvcm5pYTEWMBQGA1UEBwwNTW91bnRhaW4gVmlldzETMBEGA1UECgwKR29vZ2xlIEluYzEY" \
    "MBYGA1UEAwwPbWFpbC5nb29nbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfRrObuSW5T7q5CnSEqefEmtH4CCv6+"     \
    "5EckuriNr1CjfVvqzwfAhopXkLrq45EQm8vkmf7W96XJhC7ZM0dYi1/"                                                \
    "qOCAU8wggFLMB0GA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAaBgNVHREEEzARgg9tYWlsLmdvb2dsZS5jb20wCwYDVR0PBAQ" \
    "DAgeAMGgGCCsGAQUFBwEBBFwwWjArBggrBgEFBQcwAoYfaHR0cDovL3BraS5nb29nbGUuY29tL0dJQUcyLmNydDArBggrBgEFBQcwA" \
    "YYfaHR0cDovL2NsaWVudHMxLmdvb2dsZS5jb20vb2NzcDAdBgNVHQ4EFgQUiJxtimAuTfwb+aUtBn5UYKreKvMwDAYDVR0TAQH/"    \
    "BAIwADAfBgNVHSMEGDAWgBRK3QYWG7z2aLV29YG2u2IaulqBLzAXBgNVHSAEEDAOMAwGCisGAQQB1nkCBQEwMAYDVR0fBCkwJzAloC" \
    "OgIYYfaHR0cDovL3BraS5nb29nbGUuY29tL0dJQUcyLmNybDANBgkqhkiG9w0BAQUFAAOCAQEAH6RYHxHdcGpMpFE3oxDoFnP+"     \
    "gtuBCHan2yE2GRbJ2Cw8Lw0MmuKqHlf9RSeYfd3BXeKkj1qO6TVKwCh+0HdZk283TZZyzmEOyclm3UGFYe82P/"                 \
    "iDFt+CeQ3NpmBg+GoaVCuWAARJN/KfglbLyyYygcQq0SgeDh8dRKUiaW3HQSoYvTvdTuqzwK4CXsr3b5/dAOY8uMuG/"            \
    "IAR3FgwTbZ1dtoWRvOTa8hYiU6A475WuZKyEHcwnGYe57u2I2KbMgcKjPniocj4QzgYsVAVKW3IwaOhyE+"                     \
    "vPxsiUkvQHdO2fojCkY8jg70jxM+gu59tPDNbw3Uh/2Ij310FgTHsnGQMyA==\""
#define S92                                                                                                  \
    "\"MIIDIjCCAougAwIBAgIQbt8NlJn9RTPdEpf8Qqk74TANBgkqhkiG9w0BAQUFADBMMQswCQYDVQQGEwJaQTElMCMGA1UEChMcVGhh" \
    "d3RlIENvbnN1bHRpbmcgKFB0eSkgTHRkLjEWMBQGA1UEAxMNVGhhd3RlIFNHQyBDQTAeFw0wOTAzMjUxNjQ5MjlaFw0xMDAzMjUxNj" \
    "Q5MjlaMGkxCzAJBgNVBAYTAlVTMRMwEQYDVQQIEwpDYWxpZm9ybmlhMRYwFAYDVQQHEw1Nb3VudGFpbiBWaWV3MRMwEQYDVQQKEwpH" \
    "b29nbGUgSW5jMRgwFgYDVQQDEw9tYWlsLmdvb2dsZS5jb20wgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAMXW+"              \
    "JL8yvVhSwZBSegKLJWBohjvQew1vXpYElrnb56lTdyJOrvrAp9rc2Fr8P/YaHkfunr5xK6/Nwa6Puru0nQ1tN3PsVfAXzUdZqqH/"   \
    "uDeBy1m13Ov+9Nqt4vvCQ4MyGGpA6yQ3Zi1HJxBVmwBfwvuw7/"                                                     \
    "zkQUf+"                                                                                                 \
    "6D1zGhQrSpZAgMBAAGjgecwgeQwKAYDVR0lBCEwHwYIKwYBBQUHAwEGCCsGAQUFBwMCBglghkgBhvhCBAEwNgYDVR0fBC8wLTAroCm" \
    "gJ4YlaHR0cDovL2NybC50aGF3dGUuY29tL1RoYXd0ZVNHQ0NBLmNybDByBggrBgEFBQcBAQRmMGQwIgYIKwYBBQUHMAGGFmh0dHA6L" \
    "y9vY3NwLnRoYXd0ZS5jb20wPgYIKwYBBQUHMAKGMmh0dHA6Ly93d3cudGhhd3RlLmNvbS9yZXBvc2l0b3J5L1RoYXd0ZV9TR0NfQ0E" \
    "uY3J0MAwGA1UdEwEB/"                                                                                     \
    "wQCMAAwDQYJKoZIhvcNAQEFBQADgYEAYvHzBQ68EF5JfHrt+"                                                       \
    "H4k0vSphrs7g3vRm5HrytmLBlmS9r0rSbfW08suQnqZ1gbHsdRjUlJ/rDnmqLZybeW/"                                    \
    "cCEqUsugdjSl4zIBG9GGjnjrXjyTzwMHInZ4byB0lP6qDtnVOyEQp2Vx+"                                              \
    "QIJza6IQ4XIglhwMO4V8z12Hi5FprwwggMjMIICjKADAgECAgQwAAACMA0GCSqGSIb3DQEBBQUAMF8xCzAJBgNVBAYTAlVTMRcwFQY" \
    "DVQQKEw5WZXJpU2lnbiwgSW5jLjE3MDUGA1UECxMuQ2xhc3MgMyBQdWJsaWMgUHJpbWFyeSBDZXJ0aWZpY2F0aW9uIEF1dGhvcml0e" \
    "TAeFw0wNDA1MTMwMDAwMDBaFw0xNDA1MTIyMzU5NTlaMEwxCzAJBgNVBAYTAlpBMSUwIwYDVQQKExxUaGF3dGUgQ29uc3VsdGluZyA" \
    "oUHR5KSBMdGQuMRYwFAYDVQQDEw1UaGF3dGUgU0dDIENBMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDU02fQjRV/rs0x/"     \
    "n0dkaE/C3E8rMzIZPtj/DJLB5S9b4C6L+EEk8Az/AkzI+kLdCtxxAPG0s3iL/UJY83/"                                    \
    "SKUAv+Dn84i3LTLemDbmCq0Ae8RkSjuEdQPycJJ9DmL1IatpNoQxdZD4v8dsiBsGlXzJ5ajedaEsemjf1coch1hgGQIDAQABo4H+"   \
    "MIH7MBIGA1UdEwEB/"                                                                                      \
    "wQIMAYBAf8CAQAwCwYDVR0PBAQDAgEGMBEGCWCGSAGG+"                                                           \
    "EIBAQQEAwIBBjAoBgNVHREEITAfpB0wGzEZMBcGA1UEAxMQUHJpdmF0ZUxhYmVsMy0xNTAxBgNVHR8EKjAoMCagJKAihiBodHRwOi8" \
    "vY3JsLnZlcmlzaWduLmNvbS9wY2EzLmNybDAyBggrBgEFBQcBAQQmMCQwIgYIKwYBBQUHMAGGFmh0dHA6Ly9vY3NwLnRoYXd0ZS5jb" \
    "20wNAYDVR0lBC0wKwYIKwYBBQUHAwEGCCsGAQUFBwMCBglghkgBhvhCBAEGCmCGSAGG+"                                   \
    "EUBCAEwDQYJKoZIhvcNAQEFBQADgYEAVaxj6t6h3dKQX58Lzna+E1GPk9kFK8gbd0utaVCh7t7c/"                           \
    "dsH6eg5lNyrcnkvBr+rgXDEqO3qUzTt7x5T2QbHVivRXPTRio60K7E3kEgIQiXFPorLf+"                                  \
    "tvBNFtxXSi96J8e2A8d80OzkgCfwEvtps34CoqNtzVhdas5T9Ub5YeBa8=\""
#define S93                                                                                                  \
    "\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tDQpNSUlGZHpDQ0JGK2dBd0lCQWdJU0EzTnJpQUV1cy8rY3ZmbHZoVlFPVzV6VE1B" \
    "MEdDU3FHU0liM0RRRUJDd1VBDQpNRW94Q3pBSkJnTlZCQVlUQWxWVE1SWXdGQVlEVlFRS0V3MU1aWFFuY3lCRmJtTnllWEIwTVNNd0" \
    "lRWURWUVFEDQpFeHBNWlhRbmN5QkZibU55ZVhCMElFRjFkR2h2Y21sMGVTQllNekFlRncweU1EQTNNVEF4TmpBd016QmFGdzB5DQpN" \
    "REV3TURneE5qQXdNekJhTUI0eEhEQWFCZ05WQkFNVEUyOXdaVzV3YjJ4cFkzbGhaMlZ1ZEM1dmNtY3dnZ0VpDQpNQTBHQ1NxR1NJYj" \
    "NEUUVCQVFVQUE0SUJEd0F3Z2dFS0FvSUJBUUN5eThIWlhWVEoyVFNIWFlub0wrQ0tZcG80DQp3ejF3b3dVY2R0L1hCZ04wOGYzN054" \
    "YU5rK1ZBajhHRDJzNnpob0hMU2h5WVMyUFZvc2Y3eHVtdnlHOTE0UExwDQpJSE85V21DYVpNcXdFeXZNTS9WRTlkQmtLZmFUbzc4Ql" \
    "Q2YVh5Sm1ua2pwZUZtQk9HczN1UDViVUFSajNPbm5yDQo3QW9zOWo0NXJncnl0cGVsWVRNbExpNmpWdEJ2NVJJWnVNb0oxNVcyNTJ0" \
    "OGVJZ3NPcTU3YWQwQm9iZXl5NFR1DQpHaHZlUDBWM3ZVSnZJM2licUg1RTljV3pJMmY4VXRvaXJVTmYwSjN0Y25nOEpxU091dXpXRF" \
    "lXclJEQXpRYkpZDQpxS3p2VkRjTitwdHFWN0daNkp1cUhoZHdnRGVxQk9zdmVEYnpBQXlZU1ZQSmpSV1llYThNeGxNN09YYnRBZ01C" \
    "DQpBQUdqZ2dLQk1JSUNmVEFPQmdOVkhROEJBZjhFQkFNQ0JhQXdIUVlEVlIwbEJCWXdGQVlJS3dZQkJRVUhBd0VHDQpDQ3NHQVFVRk" \
    "J3TUNNQXdHQTFVZEV3RUIvd1FDTUFBd0hRWURWUjBPQkJZRUZIRHdlYjZLcHJTdldydy92UjZrDQp3VFZwdWRQdE1COEdBMVVkSXdR" \
    "WU1CYUFGS2hLYW1NRWZkMjY1dEU1dDZaRlplL3pxT3loTUc4R0NDc0dBUVVGDQpCd0VCQkdNd1lUQXVCZ2dyQmdFRkJRY3dBWVlpYU" \
    "hSMGNEb3ZMMjlqYzNBdWFXNTBMWGd6TG14bGRITmxibU55DQplWEIwTG05eVp6QXZCZ2dyQmdFRkJRY3dBb1lqYUhSMGNEb3ZMMk5s" \
    "Y25RdWFXNTBMWGd6TG14bGRITmxibU55DQplWEIwTG05eVp5OHdOd1lEVlIwUkJEQXdMb0lUYjNCbGJuQnZiR2xqZVdGblpXNTBMbT" \
    "l5WjRJWGQzZDNMbTl3DQpaVzV3YjJ4cFkzbGhaMlZ1ZEM1dmNtY3dUQVlEVlIwZ0JFVXdRekFJQmdabmdRd0JBZ0V3TndZTEt3WUJC" \
    "QUdDDQozeE1CQVFFd0tEQW1CZ2dyQmdFRkJRY0NBUllhYUhSMGNEb3ZMMk53Y3k1c1pYUnpaVzVqY25sd2RDNXZjbWN3DQpnZ0VFQm" \
    "dvckJnRUVBZFo1QWdRQ0JJSDFCSUh5QVBBQWRnQmVwM1A1MzFiQTU3VTJTSDNRU2VBeWVwR2FESVNoDQpFaEtFR0hXV2dYRkZXQUFB" \
    "QVhNNXE5dkRBQUFFQXdCSE1FVUNJUUNSSHFncnRsMDdZNlRyeWZNbVFONlROS1JWDQptMUxUeTl2STNNaC9rcmJTUVFJZ1lnVkFLd1" \
    "hSb1BSK0JOMXBjSmJKdjNBaXZiaDZFN0w5ODdyTVNFUWs1Vm9BDQpkZ0N5SGdYTWk2TE5paUJPaDJiNUs3bUtKU0JuYTlyNmNPZXlT" \
    "Vk10NzR1UVhnQUFBWE01cTl1dUFBQUVBd0JIDQpNRVVDSVFEZHJ1VHV0US9VY2hja3FZUSsycDltdXRuclNublFYYTh4TEE0MVlHel" \
    "pIZ0lnWFhFVEZiR2ZuczJDDQo3WUo4Y0RvWVlBam1kek1nOGs3aEtYUUd1L0tzQWI0d0RRWUpLb1pJaHZjTkFRRUxCUUFEZ2dFQkFH" \
    "azlwNXl0DQpPYURJUFJQazVJbXBIMWY2ZjAxMG1VTFdQVjVQam42a3pNSFA5ejVuZE16KysxTk92SFY0R1ZCQ29ldUtxMWJwDQpGQ0" \
    "QrSWdBOXBjSkFFWFEvdTRHcG1iQUtVWnptZk1JYjg5YVJnbkpwMG14OVk0QkJkNDVFeFVXczh3NGNmZ0ZaDQp5WlVlSHZXczFhbnBB" \
    "Y1IyRklacEFWTVFDYUlnak90MmRkUjF4djRhY0N3K21EL0I5b0tmR1pFVWd5SUFOdnBCDQpJRGFiZ2dMU3dGYTlPS0tYUkJWUkFhZm" \
    "83T2FjMjFIUVU3RTNzWHBoYUhaR2ZuMkYyN2REL3FvcVVjTHFyNGxDDQpjN2xORTBZR3A2cithUG85VkxjSDJWMGxONHQrMVZiVkFy" \
    "d0t6bnNOZGNRbndLQmV0Z3F2WnJnTGc0K3FqbzR5DQp1aXhKWTM4WFUvYjdiYVU9DQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tDQ" \
    "o=\""
#define S94                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----\\nMIIFdzCCBF+gAwIBAgISA3NriAEus/"                                                      \
    "+cvflvhVQOW5zTMA0GCSqGSIb3DQEBCwUA\\nMEoxCzAJBgNVBAYTAlVTMRYwFAYDVQQKEw1MZXQncyBFbmNyeXB0MSMwIQYDVQQD"  \
    "\\nExpMZXQncyBFbmNyeXB0IEF1dGhvcml0eSBYMzAeFw0yMDA3MTAxNjAwMzBaFw0y\\nMDEwMDgxNjAwMzBaMB4xHDAaBgNVBAMT" \
    "E29wZW5wb2xpY3lhZ2VudC5vcmcwggEi\\nMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCyy8HZXVTJ2TSHXYnoL+"          \
    "CKYpo4\\nwz1wowUcdt/XBgN08f37NxaNk+VAj8GD2s6zhoHLShyYS2PVosf7xumvyG914PLp\\nIHO9WmCaZMqwEyvMM/"         \
    "VE9dBkKfaTo78BT6aXyJmnkjpeFmBOGs3uP5bUARj3Onnr\\n7Aos9j45rgrytpelYTMlLi6jVtBv5RIZuMoJ15W252t8eIgsOq57a" \
    "d0Bobeyy4Tu\\nGhveP0V3vUJvI3ibqH5E9cWzI2f8UtoirUNf0J3tcng8JqSOuuzWDYWrRDAzQbJY\\nqKzvVDcN+"             \
    "ptqV7GZ6JuqHhdwgDeqBOsveDbzAAyYSVPJjRWYea8MxlM7OXbtAgMB\\nAAGjggKBMIICfTAOBgNVHQ8BAf8EBAMCBaAwHQYDVR0l" \
    "BBYwFAYIKwYBBQUHAwEG\\nCCsGAQUFBwMCMAwGA1UdEwEB/wQCMAAwHQYDVR0OBBYEFHDweb6KprSvWrw/"                    \
    "vR6k\\nwTVpudPtMB8GA1UdIwQYMBaAFKhKamMEfd265tE5t6ZFZe/"                                                 \
    "zqOyhMG8GCCsGAQUF\\nBwEBBGMwYTAuBggrBgEFBQcwAYYiaHR0cDovL29jc3AuaW50LXgzLmxldHNlbmNy\\neXB0Lm9yZzAvBgg" \
    "rBgEFBQcwAoYjaHR0cDovL2NlcnQuaW50LXgzLmxldHNlbmNy\\neXB0Lm9yZy8wNwYDVR0RBDAwLoITb3BlbnBvbGljeWFnZW50Lm" \
    "9yZ4IXd3d3Lm9w\\nZW5wb2xpY3lhZ2VudC5vcmcwTAYDVR0gBEUwQzAIBgZngQwBAgEwNwYLKwYBBAGC\\n3xMBAQEwKDAmBggrBg" \
    "EFBQcCARYaaHR0cDovL2Nwcy5sZXRzZW5jcnlwdC5vcmcw\\nggEEBgorBgEEAdZ5AgQCBIH1BIHyAPAAdgBep3P531bA57U2SH3QS" \
    "eAyepGaDISh\\nEhKEGHWWgXFFWAAAAXM5q9vDAAAEAwBHMEUCIQCRHqgrtl07Y6TryfMmQN6TNKRV\\nm1LTy9vI3Mh/"          \
    "krbSQQIgYgVAKwXRoPR+"                                                                                   \
    "BN1pcJbJv3Aivbh6E7L987rMSEQk5VoA\\ndgCyHgXMi6LNiiBOh2b5K7mKJSBna9r6cOeySVMt74uQXgAAAXM5q9uuAAAEAwBH\\n" \
    "MEUCIQDdruTutQ/UchckqYQ+2p9mutnrSnnQXa8xLA41YGzZHgIgXXETFbGfns2C\\n7YJ8cDoYYAjmdzMg8k7hKXQGu/"          \
    "KsAb4wDQYJKoZIhvcNAQELBQADggEBAGk9p5yt\\nOaDIPRPk5ImpH1f6f010mULWPV5Pjn6kzMHP9z5ndMz++"                 \
    "1NOvHV4GVBCoeuKq1bp\\nFCD+IgA9pcJAEXQ/"                                                                 \
    "u4GpmbAKUZzmfMIb89aRgnJp0mx9Y4BBd45ExUWs8w4cfgFZ\\nyZUeHvWs1anpAcR2FIZpAVMQCaIgjOt2ddR1xv4acCw+mD/"     \
    "B9oKfGZEUgyIANvpB\\nIDabggLSwFa9OKKXRBVRAafo7Oac21HQU7E3sXphaHZGfn2F27dD/"                              \
    "qoqUcLqr4lC\\nc7lNE0YGp6r+aPo9VLcH2V0lN4t+1VbVArwKznsNdcQnwKBetgqvZrgLg4+qjo4y\\nuixJY38XU/"            \
    "b7baU=\\n-----END CERTIFICATE-----\""
#define S95                                                                                                  \
    "\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tDQpNSUlGZHpDQ0JGK2dBd0lCQWdJU0EzTnJpQUV1cy8rY3ZmbHZoVlFPVzV6VE1B" \
    "MEdDU3FHU0liM0RRRUJDd1VBTUVveEN6QUpCZ05WQkFZVEFsVlRNUll3RkFZRFZRUUtFdzFNWlhRbmN5QkZibU55ZVhCME1TTXdJUV" \
    "lEVlFRREV4cE1aWFFuY3lCRmJtTnllWEIwSUVGMWRHaHZjbWwwZVNCWU16QWVGdzB5TURBM01UQXhOakF3TXpCYUZ3MHlNREV3TURn" \
    "eE5qQXdNekJhTUI0eEhEQWFCZ05WQkFNVEUyOXdaVzV3YjJ4cFkzbGhaMlZ1ZEM1dmNtY3dnZ0VpTUEwR0NTcUdTSWIzRFFFQkFRVU" \
    "FBNElCRHdBd2dnRUtBb0lCQVFDeXk4SFpYVlRKMlRTSFhZbm9MK0NLWXBvNHd6MXdvd1VjZHQvWEJnTjA4ZjM3TnhhTmsrVkFqOEdE" \
    "MnM2emhvSExTaHlZUzJQVm9zZjd4dW12eUc5MTRQTHBJSE85V21DYVpNcXdFeXZNTS9WRTlkQmtLZmFUbzc4QlQ2YVh5Sm1ua2pwZU" \
    "ZtQk9HczN1UDViVUFSajNPbm5yN0FvczlqNDVyZ3J5dHBlbFlUTWxMaTZqVnRCdjVSSVp1TW9KMTVXMjUydDhlSWdzT3E1N2FkMEJv" \
    "YmV5eTRUdUdodmVQMFYzdlVKdkkzaWJxSDVFOWNXekkyZjhVdG9pclVOZjBKM3Rjbmc4SnFTT3V1eldEWVdyUkRBelFiSllxS3p2Vk" \
    "RjTitwdHFWN0daNkp1cUhoZHdnRGVxQk9zdmVEYnpBQXlZU1ZQSmpSV1llYThNeGxNN09YYnRBZ01CQUFHamdnS0JNSUlDZlRBT0Jn" \
    "TlZIUThCQWY4RUJBTUNCYUF3SFFZRFZSMGxCQll3RkFZSUt3WUJCUVVIQXdFR0NDc0dBUVVGQndNQ01Bd0dBMVVkRXdFQi93UUNNQU" \
    "F3SFFZRFZSME9CQllFRkhEd2ViNktwclN2V3J3L3ZSNmt3VFZwdWRQdE1COEdBMVVkSXdRWU1CYUFGS2hLYW1NRWZkMjY1dEU1dDZa" \
    "RlplL3pxT3loTUc4R0NDc0dBUVVGQndFQkJHTXdZVEF1QmdnckJnRUZCUWN3QVlZaWFIUjBjRG92TDI5amMzQXVhVzUwTFhnekxteG" \
    "xkSE5sYm1OeWVYQjBMbTl5WnpBdkJnZ3JCZ0VGQlFjd0FvWWphSFIwY0RvdkwyTmxjblF1YVc1MExYZ3pMbXhsZEhObGJtTnllWEIw" \
    "TG05eVp5OHdOd1lEVlIwUkJEQXdMb0lUYjNCbGJuQnZiR2xqZVdGblpXNTBMbTl5WjRJWGQzZDNMbTl3Wlc1d2IyeHBZM2xoWjJWdW" \
    "RDNXZjbWN3VEFZRFZSMGdCRVV3UXpBSUJnWm5nUXdCQWdFd053WUxLd1lCQkFHQzN4TUJBUUV3S0RBbUJnZ3JCZ0VGQlFjQ0FSWWFh" \
    "SFIwY0RvdkwyTndjeTVzWlhSelpXNWpjbmx3ZEM1dmNtY3dnZ0VFQmdvckJnRUVBZFo1QWdRQ0JJSDFCSUh5QVBBQWRnQmVwM1A1Mz" \
    "FiQTU3VTJTSDNRU2VBeWVwR2FESVNoRWhLRUdIV1dnWEZGV0FBQUFYTTVxOXZEQUFBRUF3QkhNRVVDSVFDUkhxZ3J0bDA3WTZUcnlm" \
    "TW1RTjZUTktSVm0xTFR5OXZJM01oL2tyYlNRUUlnWWdWQUt3WFJvUFIrQk4xcGNKYkp2M0FpdmJoNkU3TDk4N3JNU0VRazVWb0FkZ0" \
    "N5SGdYTWk2TE5paUJPaDJiNUs3bUtKU0JuYTlyNmNPZXlTVk10NzR1UVhnQUFBWE01cTl1dUFBQUVBd0JITUVVQ0lRRGRydVR1dFEv" \
    "VWNoY2txWVErMnA5bXV0bnJTbm5RWGE4eExBNDFZR3paSGdJZ1hYRVRGYkdmbnMyQzdZSjhjRG9ZWUFqbWR6TWc4azdoS1hRR3UvS3" \
    "NBYjR3RFFZSktvWklodmNOQVFFTEJRQURnZ0VCQUdrOXA1eXRPYURJUFJQazVJbXBIMWY2ZjAxMG1VTFdQVjVQam42a3pNSFA5ejVu" \
    "ZE16KysxTk92SFY0R1ZCQ29ldUtxMWJwRkNEK0lnQTlwY0pBRVhRL3U0R3BtYkFLVVp6bWZNSWI4OWFSZ25KcDBteDlZNEJCZDQ1RX" \
    "hVV3M4dzRjZmdGWnlaVWVIdldzMWFucEFjUjJGSVpwQVZNUUNhSWdqT3QyZGRSMXh2NGFjQ3crbUQvQjlvS2ZHWkVVZ3lJQU52cEJJ" \
    "RGFiZ2dMU3dGYTlPS0tYUkJWUkFhZm83T2FjMjFIUVU3RTNzWHBoYUhaR2ZuMkYyN2REL3FvcVVjTHFyNGxDYzdsTkUwWUdwNnIrYV" \
    "BvOVZMY0gyVjBsTjR0KzFWYlZBcndLem5zTmRjUW53S0JldGdxdlpyZ0xnNCtxam80eXVpeEpZMzhYVS9iN2JhVT0NCi0tLS0tRU5E" \
    "IENFUlRJRklDQVRFLS0tLS0NCi0tLS0tQkVHSU4gQ0VSVElGSUNBVEUtLS0tLQ0KTUlJRWtqQ0NBM3FnQXdJQkFnSVFDZ0ZCUWdBQU" \
    "FWT0ZjMm9MaGV5bkNEQU5CZ2txaGtpRzl3MEJBUXNGQURBL01TUXdJZ1lEVlFRS0V4dEVhV2RwZEdGc0lGTnBaMjVoZEhWeVpTQlVj" \
    "blZ6ZENCRGJ5NHhGekFWQmdOVkJBTVREa1JUVkNCU2IyOTBJRU5CSUZnek1CNFhEVEUyTURNeE56RTJOREEwTmxvWERUSXhNRE14Tn" \
    "pFMk5EQTBObG93U2pFTE1Ba0dBMVVFQmhNQ1ZWTXhGakFVQmdOVkJBb1REVXhsZENkeklFVnVZM0o1Y0hReEl6QWhCZ05WQkFNVEdr" \
    "eGxkQ2R6SUVWdVkzSjVjSFFnUVhWMGFHOXlhWFI1SUZnek1JSUJJakFOQmdrcWhraUc5dzBCQVFFRkFBT0NBUThBTUlJQkNnS0NBUU" \
    "VBbk5NTThGcmxMa2UzY2wwM2c3Tm9ZekRxMXpVbUdTWGh2YjQxOFhDU0w3ZTRTMEVGcTZtZU5RaFk3TEVxeEdpSEM2UGpkZVRtODZk" \
    "aWNicDVnV0FmMTVHYW4vUFFlR2R4eUdrT2xaSFAvdWFaNldBOFNNeCt5azEzRWlTZFJ4dGE2N25zSGpjQUhKeXNlNmNGNnM1SzY3MU" \
    "I1VGFZdWN2OWJUeVdhTjhqS2tLUURJWjBaOGgvcFpxNFVtRVVFejlsNllLSHk5djZEbGIyaG9uemhUK1hocSt3M0JydmF3MlZGbjNF" \
    "SzZCbHNwa0VObldBYTZ4Szh4dVFTWGd2b3BaUEtpQWxLUVRHZE1EUU1jMlBNVGlWRnJxb003aEQ4YkVmd3pCL29ua3hFejB0TnZqai" \
    "9QSXphcms1TWNXdnhJME5IV1FXTTZyNmhDbTIxQXZBMkgzRGt3SURBUUFCbzRJQmZUQ0NBWGt3RWdZRFZSMFRBUUgvQkFnd0JnRUIv" \
    "d0lCQURBT0JnTlZIUThCQWY4RUJBTUNBWVl3ZndZSUt3WUJCUVVIQVFFRWN6QnhNRElHQ0NzR0FRVUZCekFCaGlab2RIUndPaTh2YV" \
    "hOeVp5NTBjblZ6ZEdsa0xtOWpjM0F1YVdSbGJuUnlkWE4wTG1OdmJUQTdCZ2dyQmdFRkJRY3dBb1l2YUhSMGNEb3ZMMkZ3Y0hNdWFX" \
    "UmxiblJ5ZFhOMExtTnZiUzl5YjI5MGN5OWtjM1J5YjI5MFkyRjRNeTV3TjJNd0h3WURWUjBqQkJnd0ZvQVV4S2V4cEhzc2NmcmI0VX" \
    "VRZGYvRUZXQ0ZpUkF3VkFZRFZSMGdCRTB3U3pBSUJnWm5nUXdCQWdFd1B3WUxLd1lCQkFHQzN4TUJBUUV3TURBdUJnZ3JCZ0VGQlFj" \
    "Q0FSWWlhSFIwY0RvdkwyTndjeTV5YjI5MExYZ3hMbXhsZEhObGJtTnllWEIwTG05eVp6QThCZ05WSFI4RU5UQXpNREdnTDZBdGhpdG" \
    "9kSFJ3T2k4dlkzSnNMbWxrWlc1MGNuVnpkQzVqYjIwdlJGTlVVazlQVkVOQldETkRVa3d1WTNKc01CMEdBMVVkRGdRV0JCU29TbXBq" \
    "QkgzZHV1YlJPYmVtUldYdjg2anNvVEFOQmdrcWhraUc5dzBCQVFzRkFBT0NBUUVBM1RQWEVmTmpXRGpkR0JYN0NWVytkbGE1Y0VpbG" \
    "FVY25lOElrQ0pMeFdoOUtFaWszSkhSUkhHSm91TTJWY0dmbDk2UzhUaWhSelp2b3JvZWQ2dGk2V3FFQm10enczV29kYXRnK1Z5T2Vw" \
    "aDRFWXByLzF3WEt0eDgvd0FwSXZKU3d0bVZpNE1GVTVhTXFyU0RFNmVhNzNNajJ0Y015bzVqTWQ2am1lV1VISzhzby9qb1dVb0hPVW" \
    "d3dVg0UG8xUVl6KzNkc3prRHFNcDRma2x4QndYUnNXMTBLWHpQTVRaK3NPUEF2ZXl4aW5kbWprVzhsR3krUXNSbEdQZlorRzZaNmg3" \
    "bWplbTBZK2lXbGtZY1Y0UElXTDFpd0JpOHNhQ2JHUzVqTjJwOE0rWCtRN1VOS0VrUk9iM042S09xa3FtNTdUSDJIM2VESkFrU25oNi" \
    "9ETkZ1MFFnPT0NCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0NCi0tLS0tQkVHSU4gQ0VSVElGSUNBVEUtLS0tLQ0KTUlJRFNqQ0NB" \
    "aktnQXdJQkFnSVFSSyt3Z05hako3cUpNRG1HTHZoQWF6QU5CZ2txaGtpRzl3MEJBUVVGQURBL01TUXdJZ1lEVlFRS0V4dEVhV2RwZE" \
    "dGc0lGTnBaMjVoZEhWeVpTQlVjblZ6ZENCRGJ5NHhGekFWQmdOVkJBTVREa1JUVkNCU2IyOTBJRU5CSUZnek1CNFhEVEF3TURrek1E" \
    "SXhNVEl4T1ZvWERUSXhNRGt6TURFME1ERXhOVm93UHpFa01DSUdBMVVFQ2hNYlJHbG5hWFJoYkNCVGFXZHVZWFIxY21VZ1ZISjFjM1" \
    "FnUTI4dU1SY3dGUVlEVlFRREV3NUVVMVFnVW05dmRDQkRRU0JZTXpDQ0FTSXdEUVlKS29aSWh2Y05BUUVCQlFBRGdnRVBBRENDQVFv" \
    "Q2dnRUJBTit2NlpkUUNJTlh0TXhpWmZhUWd1ekgweXhyTU1wYjdObkRmY2RBd1JnVWkrRG9NM1pKS3VNL0lVbVRyRTRPcno1SXkyWH" \
    "UvTk1oRDJYU0t0a3lqNHpsOTNld0VudTFsY0NKbzZtNjdYTXVlZ3dHTW9PaWZvb1VNTTBSb09FcU9MbDVDakg5VUwyQVpkKzNVV09E" \
    "eU9LSVllcExZWUhzVW11NW91SkxHaWlmU0tPZUROb0pqajRYTGg3ZElOOWJ4aXFLcXk2OWNLM0ZDeG9sa0hSeXhYdHFxelRXTUluLz" \
    "VXZ1RlMVFMeU5hdTdGcWNraDQ5WkxPTXh0Ky95VUZ3N0JaeTFTYnNPRlU1UTlEOC9SaGNRUEdYNjlXYW00MGR1dG9sdWNiWTM4RVZB" \
    "anFyMm03eFBpNzFYQWljUE5hRGFlUVFteGtxdGlsWDQrVTltNS93QWwwQ0F3RUFBYU5DTUVBd0R3WURWUjBUQVFIL0JBVXdBd0VCL3" \
    "pBT0JnTlZIUThCQWY4RUJBTUNBUVl3SFFZRFZSME9CQllFRk1TbnNhUjdMSEg2MitGTGtIWC94QlZnaFlrUU1BMEdDU3FHU0liM0RR" \
    "RUJCUVVBQTRJQkFRQ2pHaXliRndCY3FSN3VLR1kzT3IrRHh6OUx3d21nbFNCZDQ5bFpSTkkrRFQ2OWlrdWdkQi9PRUlLY2RCb2RmcG" \
    "dhM2NzVFM3TWdST1NSNmN6OGZhWGJhdVgrNXYzZ1R0MjNBRHExY0Vtdjh1WHJBdkhSQW9zWnk1UTZYa2pFR0I1WUdWOGVBbHJ3RFBH" \
    "eHJhbmNXWWFMYnVtUjlZYksrcmxtTTZwWlc4N2lweFp6UjhzcnpKbXdOMGpQNDFaTDljOFBESEl5aDhid1JMdFRjbTFEOVNaSW1sSm" \
    "50MWlyL21kMmNYamJEYUpXRkJNNUpER0ZvcWdDV2pCSDRkMVFCN3dDQ1pBQTYyUmpZSnNXdklqSkV1YlNmWkdMK1QweWpXVzA2WHl4" \
    "VjNicXhiWW9PYjhWWlJ6STluZVdhZ3FOZHd2WWtRc0VqZ2ZiS2JZSzdwMkNOVFVRDQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tDQ" \
    "o=\""
#define S96                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----\\nMIIFdzCCBF+gAwIBAgISA3NriAEus/"                                                      \
    "+cvflvhVQOW5zTMA0GCSqGSIb3DQEBCwUAMEoxCzAJBgNVBAYTAlVTMRYwFAYDVQQKEw1MZXQncyBFbmNyeXB0MSMwIQYDVQQDExpM" \
    "ZXQncyBFbmNyeXB0IEF1dGhvcml0eSBYMzAeFw0yMDA3MTAxNjAwMzBaFw0yMDEwMDgxNjAwMzBaMB4xHDAaBgNVBAMTE29wZW5wb2" \
    "xpY3lhZ2VudC5vcmcwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQCyy8HZXVTJ2TSHXYnoL+CKYpo4wz1wowUcdt/"      \
    "XBgN08f37NxaNk+VAj8GD2s6zhoHLShyYS2PVosf7xumvyG914PLpIHO9WmCaZMqwEyvMM/"                                \
    "VE9dBkKfaTo78BT6aXyJmnkjpeFmBOGs3uP5bUARj3Onnr7Aos9j45rgrytpelYTMlLi6jVtBv5RIZuMoJ15W252t8eIgsOq57ad0B" \
    "obeyy4TuGhveP0V3vUJvI3ibqH5E9cWzI2f8UtoirUNf0J3tcng8JqSOuuzWDYWrRDAzQbJYqKzvVDcN+"                      \
    "ptqV7GZ6JuqHhdwgDeqBOsveDbzAAyYSVPJjRWYea8MxlM7OXbtAgMBAAGjggKBMIICfTAOBgNVHQ8BAf8EBAMCBaAwHQYDVR0lBBY" \
    "wFAYIKwYBBQUHAwEGCCsGAQUFBwMCMAwGA1UdEwEB/wQCMAAwHQYDVR0OBBYEFHDweb6KprSvWrw/"                          \
    "vR6kwTVpudPtMB8GA1UdIwQYMBaAFKhKamMEfd265tE5t6ZFZe/"                                                    \
    "zqOyhMG8GCCsGAQUFBwEBBGMwYTAuBggrBgEFBQcwAYYiaHR0cDovL29jc3AuaW50LXgzLmxldHNlbmNyeXB0Lm9yZzAvBggrBgEFB" \
    "QcwAoYjaHR0cDovL2NlcnQuaW50LXgzLmxldHNlbmNyeXB0Lm9yZy8wNwYDVR0RBDAwLoITb3BlbnBvbGljeWFnZW50Lm9yZ4IXd3d" \
    "3Lm9wZW5wb2xpY3lhZ2VudC5vcmcwTAYDVR0gBEUwQzAIBgZngQwBAgEwNwYLKwYBBAGC3xMBAQEwKDAmBggrBgEFBQcCARYaaHR0c" \
    "DovL2Nwcy5sZXRzZW5jcnlwdC5vcmcwggEEBgorBgEEAdZ5AgQCBIH1BIHyAPAAdgBep3P531bA57U2SH3QSeAyepGaDIShEhKEGHW" \
    "WgXFFWAAAAXM5q9vDAAAEAwBHMEUCIQCRHqgrtl07Y6TryfMmQN6TNKRVm1LTy9vI3Mh/"                                  \
    "krbSQQIgYgVAKwXRoPR+"                                                                                   \
    "BN1pcJbJv3Aivbh6E7L987rMSEQk5VoAdgCyHgXMi6LNiiBOh2b5K7mKJSBna9r6cOeySVMt74uQXgAAAXM5q9uuAAAEAwBHMEUCIQ" \
    "DdruTutQ/UchckqYQ+2p9mutnrSnnQXa8xLA41YGzZHgIgXXETFbGfns2C7YJ8cDoYYAjmdzMg8k7hKXQGu/"                   \
    "KsAb4wDQYJKoZIhvcNAQELBQADggEBAGk9p5ytOaDIPRPk5ImpH1f6f010mULWPV5Pjn6kzMHP9z5ndMz++"                    \
    "1NOvHV4GVBCoeuKq1bpFCD+IgA9pcJAEXQ/"                                                                    \
    "u4GpmbAKUZzmfMIb89aRgnJp0mx9Y4BBd45ExUWs8w4cfgFZyZUeHvWs1anpAcR2FIZpAVMQCaIgjOt2ddR1xv4acCw+mD/"        \
    "B9oKfGZEUgyIANvpBIDabggLSwFa9OKKXRBVRAafo7Oac21HQU7E3sXphaHZGfn2F27dD/"                                 \
    "qoqUcLqr4lCc7lNE0YGp6r+aPo9VLcH2V0lN4t+1VbVArwKznsNdcQnwKBetgqvZrgLg4+qjo4yuixJY38XU/"                  \
    "b7baU=\\n-----END CERTIFICATE-----\\n-----BEGIN "                                                       \
    "CERTIFICATE-----\\nMIIEkjCCA3qgAwIBAgIQCgFBQgAAAVOFc2oLheynCDANBgkqhkiG9w0BAQsFADA/"                    \
    "MSQwIgYDVQQKExtEaWdpdGFsIFNpZ25hdHVyZSBUcnVzdCBDby4xFzAVBgNVBAMTDkRTVCBSb290IENBIFgzMB4XDTE2MDMxNzE2ND" \
    "A0NloXDTIxMDMxNzE2NDA0NlowSjELMAkGA1UEBhMCVVMxFjAUBgNVBAoTDUxldCdzIEVuY3J5cHQxIzAhBgNVBAMTGkxldCdzIEVu" \
    "Y3J5cHQgQXV0aG9yaXR5IFgzMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnNMM8FrlLke3cl03g7NoYzDq1zUmGSXhvb" \
    "418XCSL7e4S0EFq6meNQhY7LEqxGiHC6PjdeTm86dicbp5gWAf15Gan/PQeGdxyGkOlZHP/"                                \
    "uaZ6WA8SMx+yk13EiSdRxta67nsHjcAHJyse6cF6s5K671B5TaYucv9bTyWaN8jKkKQDIZ0Z8h/"                            \
    "pZq4UmEUEz9l6YKHy9v6Dlb2honzhT+Xhq+"                                                                    \
    "w3Brvaw2VFn3EK6BlspkENnWAa6xK8xuQSXgvopZPKiAlKQTGdMDQMc2PMTiVFrqoM7hD8bEfwzB/onkxEz0tNvjj/"             \
    "PIzark5McWvxI0NHWQWM6r6hCm21AvA2H3DkwIDAQABo4IBfTCCAXkwEgYDVR0TAQH/BAgwBgEB/"                           \
    "wIBADAOBgNVHQ8BAf8EBAMCAYYwfwYIKwYBBQUHAQEEczBxMDIGCCsGAQUFBzABhiZodHRwOi8vaXNyZy50cnVzdGlkLm9jc3AuaWR" \
    "lbnRydXN0LmNvbTA7BggrBgEFBQcwAoYvaHR0cDovL2FwcHMuaWRlbnRydXN0LmNvbS9yb290cy9kc3Ryb290Y2F4My5wN2MwHwYDV" \
    "R0jBBgwFoAUxKexpHsscfrb4UuQdf/"                                                                         \
    "EFWCFiRAwVAYDVR0gBE0wSzAIBgZngQwBAgEwPwYLKwYBBAGC3xMBAQEwMDAuBggrBgEFBQcCARYiaHR0cDovL2Nwcy5yb290LXgxL" \
    "mxldHNlbmNyeXB0Lm9yZzA8BgNVHR8ENTAzMDGgL6AthitodHRwOi8vY3JsLmlkZW50cnVzdC5jb20vRFNUUk9PVENBWDNDUkwuY3J" \
    "sMB0GA1UdDgQWBBSoSmpjBH3duubRObemRWXv86jsoTANBgkqhkiG9w0BAQsFAAOCAQEA3TPXEfNjWDjdGBX7CVW+"              \
    "dla5cEilaUcne8IkCJLxWh9KEik3JHRRHGJouM2VcGfl96S8TihRzZvoroed6ti6WqEBmtzw3Wodatg+VyOeph4EYpr/1wXKtx8/"   \
    "wApIvJSwtmVi4MFU5aMqrSDE6ea73Mj2tcMyo5jMd6jmeWUHK8so/"                                                  \
    "joWUoHOUgwuX4Po1QYz+3dszkDqMp4fklxBwXRsW10KXzPMTZ+sOPAveyxindmjkW8lGy+QsRlGPfZ+G6Z6h7mjem0Y+"           \
    "iWlkYcV4PIWL1iwBi8saCbGS5jN2p8M+X+Q7UNKEkROb3N6KOqkqm57TH2H3eDJAkSnh6/DNFu0Qg==\\n-----END "            \
    "CERTIFICATE-----\\n-----BEGIN "                                                                         \
    "CERTIFICATE-----\\nMIIDSjCCAjKgAwIBAgIQRK+wgNajJ7qJMDmGLvhAazANBgkqhkiG9w0BAQUFADA/"                    \
    "MSQwIgYDVQQKExtEaWdpdGFsIFNpZ25hdHVyZSBUcnVzdCBDby4xFzAVBgNVBAMTDkRTVCBSb290IENBIFgzMB4XDTAwMDkzMDIxMT" \
    "IxOVoXDTIxMDkzMDE0MDExNVowPzEkMCIGA1UEChMbRGlnaXRhbCBTaWduYXR1cmUgVHJ1c3QgQ28uMRcwFQYDVQQDEw5EU1QgUm9v" \
    "dCBDQSBYMzCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAN+v6ZdQCINXtMxiZfaQguzH0yxrMMpb7NnDfcdAwRgUi+"     \
    "DoM3ZJKuM/IUmTrE4Orz5Iy2Xu/"                                                                            \
    "NMhD2XSKtkyj4zl93ewEnu1lcCJo6m67XMuegwGMoOifooUMM0RoOEqOLl5CjH9UL2AZd+"                                 \
    "3UWODyOKIYepLYYHsUmu5ouJLGiifSKOeDNoJjj4XLh7dIN9bxiqKqy69cK3FCxolkHRyxXtqqzTWMIn/"                      \
    "5WgTe1QLyNau7Fqckh49ZLOMxt+/yUFw7BZy1SbsOFU5Q9D8/"                                                      \
    "RhcQPGX69Wam40dutolucbY38EVAjqr2m7xPi71XAicPNaDaeQQmxkqtilX4+U9m5/wAl0CAwEAAaNCMEAwDwYDVR0TAQH/"        \
    "BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFMSnsaR7LHH62+FLkHX/"                                       \
    "xBVghYkQMA0GCSqGSIb3DQEBBQUAA4IBAQCjGiybFwBcqR7uKGY3Or+Dxz9LwwmglSBd49lZRNI+DT69ikugdB/"                \
    "OEIKcdBodfpga3csTS7MgROSR6cz8faXbauX+"                                                                  \
    "5v3gTt23ADq1cEmv8uXrAvHRAosZy5Q6XkjEGB5YGV8eAlrwDPGxrancWYaLbumR9YbK+"                                  \
    "rlmM6pZW87ipxZzR8srzJmwN0jP41ZL9c8PDHIyh8bwRLtTcm1D9SZImlJnt1ir/"                                       \
    "md2cXjbDaJWFBM5JDGFoqgCWjBH4d1QB7wCCZAA62RjYJsWvIjJEubSfZGL+"                                           \
    "T0yjWW06XyxV3bqxbYoOb8VZRzI9neWagqNdwvYkQsEjgfbKbYK7p2CNTUQ\\n-----END CERTIFICATE-----\""
#define S97                                                                                                  \
    "\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIxekNDQVh5Z0F3SUJBZ0lJZGxpT1dVY1NXM3N3Q2dZSUtvWkl6ajBFQXdJ" \
    "d1BURUxNQWtHQTFVRUJoTUMKUjBJeEVEQU9CZ05WQkFvVEIwVjRZVzF3YkdVeEhEQWFCZ05WQkFVVEV6RTFPREV4TnpnNU56UTJPRF" \
    "kxTmpneQpOalF3SUJjTk1qTXhNVEl3TVRZMU5USTRXaGdQTWpFeU1qRXdNamN4TmpVMU1qaGFNRDB4Q3pBSkJnTlZCQVlUCkFrZENN" \
    "UkF3RGdZRFZRUUtFd2RGZUdGdGNHeGxNUnd3R2dZRFZRUUZFeE00TlRJM056SXlOREE0TlRJeE5qVXoKTVRFMU1Ga3dFd1lIS29aSX" \
    "pqMENBUVlJS29aSXpqMERBUWNEUWdBRXp0UDNrQnNpQXY4UUF5eWxUalJZSFlWegpjWTB5YmpBdC9VbWpZb3Fxb0o4SEtIdXF1ckRa" \
    "UmVwa05qUXdwV3pmZndZZ0xaNk42SisyVUlPdlZ0TDZEcU5rCk1HSXdEZ1lEVlIwUEFRSC9CQVFEQWdlQU1CMEdBMVVkSlFRV01CUU" \
    "dDQ3NHQVFVRkJ3TUNCZ2dyQmdFRkJRY0QKQVRBTUJnTlZIUk1CQWY4RUFqQUFNQ01HQTFVZEVRUWNNQnFHR0hOd2FXWm1aVG92TDJW" \
    "NFlXMXdiR1V1WTI5dApMMjl3WVRBS0JnZ3Foa2pPUFFRREFnTkpBREJHQWlFQXlRNDhPd25lTHkzMjZqYitEUjd5RjJhcS94Wnl1cW" \
    "9qCitUU3ZLVVB5NEU0Q0lRQ0VMUlp3K0dWTjhJR0drVGV4MGxxTDNxY21mWldJbm15VitrbnQ0d3p3L3c9PQotLS0tLUVORCBDRVJU" \
    "SUZJQ0FURS0tLS0tCg==\""
#define S98                                                                                                  \
    "\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUNTakNDQWJPZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRMEZBREJDTVFz" \
    "d0NRWURWUVFHRXdKMWN6RUwKTUFrR0ExVUVDQXdDUTBFeEVEQU9CZ05WQkFvTUIwVjRZVzF3YkdVeEZEQVNCZ05WQkFNTUMyVjRZVz" \
    "F3YkdVdQpZMjl0TUI0WERUSXpNVEV5T1RFMk5ESXdPRm9YRFRJME1URXlPREUyTkRJd09Gb3dRakVMTUFrR0ExVUVCaE1DCmRYTXhD" \
    "ekFKQmdOVkJBZ01Ba05CTVJBd0RnWURWUVFLREFkRmVHRnRjR3hsTVJRd0VnWURWUVFEREF0bGVHRnQKY0d4bExtTnZiVENCbnpBTk" \
    "Jna3Foa2lHOXcwQkFRRUZBQU9CalFBd2dZa0NnWUVBempOT1puY05DL25MdEZQYwpUNnNlSzZ0ditTbU9GaGk3NVBKRm9sQ0dFZUFi" \
    "THJHTzhaUmR2cXY2OStTTk41MUhrNFBJUDUrejk4aHZIdWJQClVtcGdOMVdVM3FKK2tOVTJXL3poR3pLMTdIL2c3YjVJTjRHZmx3bX" \
    "JlRWZscnRicnZKSGRlRkVhVGtmYnVld0YKVmZvLzRiaG0yYUthczNHcUo3RnlBNDVxeVUwQ0F3RUFBYU5RTUU0d0hRWURWUjBPQkJZ" \
    "RUZOUStDMUVOK0dSYwpGS1dyTll6ZWdnbFc3TE9lTUI4R0ExVWRJd1FZTUJhQUZOUStDMUVOK0dSY0ZLV3JOWXplZ2dsVzdMT2VNQX" \
    "dHCkExVWRFd1FGTUFNQkFmOHdEUVlKS29aSWh2Y05BUUVOQlFBRGdZRUF1cXdVVWVXbTFJaURRbmphK1hqd1VCaXUKQXBYWEx5NlFZ" \
    "RG9jUkhoRHlJS3BKSWRJOXltNi9RcVhkOFQ2WGlYUTJDbFNJbGxBSTByQWJYNUZvYzNxaWRkUAp0d2huT1pxd3NZdFhUNy9XOHFLSm" \
    "5FVnhZckJuRmZSdk9SU3ZlOEtwSDErVHQ2elZEYlJ5bENacTR1TTNrZXN2CmJabXlVdlM1bldBVm44ZmhFdUU9Ci0tLS0tRU5EIENF" \
    "UlRJRklDQVRFLS0tLS0=\""
#define S99                                                                                                  \
    "\"-----BEGIN "                                                                                          \
    "CERTIFICATE-----"                                                                                       \
    "\\nMIIEszCCApsCFDPRm4sTNZqiH601E6E6pEaJaCKqMA0GCSqGSIb3DQEBCwUAMBYx\\nFDASBgNVBAMMC2V4YW1wbGUuY29tMB4X" \
    "DTIzMDUxMjEyMDIxNFoXDTIzMDYxMTEy\\nMDIxNFowFjEUMBIGA1UEAwwLZXhhbXBsZS5jb20wggIiMA0GCSqGSIb3DQEBAQUA\\n" \
    "A4ICDwAwggIKAoICAQDTcNASD17ohP3V14LMUIkFwAeeeniSXy4Pl3EqIgVpt9ul\\n2IZiTm4JOYSgQ681bjt1OdwCkBf2Cg62DUy" \
    "HMMwwnbaznN/Y5piYlaS33XCvcNpM\\nOWxwA4Z5Q0jNAshBExp8EzjEojbIUoeSncAP9jtOO/"                             \
    "NArhLq+XodmONLqBG8KmZc\\n2uiAeJ7ZjTpOckASYPYy7tUc4Ha3XUV0SoF/"                                          \
    "+0SJrXYOtpyMuMxwks6jMbpacmZn\\njFIe8m2xH97s5inmHkzjBVKbpBQQHROP6A61VOrH9FrJRiACZ440zFJ1CGlXZau4\\noJgs" \
    "9S1YRDI4W2Ha1WIYLpUBEMYXVYyn4swTBj42HqpSmfppOoR2g1d/AjxpFVAk\\nPLrict/nszhTIkEUE39vJh4HuytT49ss/"       \
    "cp4KokxBjLz7LmTUEzxJS8dB9714KzO\\nhFRHnpap0onU7Yb+Yz8/"                                                 \
    "21bZL4AEL1d2Jg48jRET1Mrl9GOnWjzo7JxioUsbLcOo\\ny8Qcu2L87BQZqHCVpq6TcJKfPgh9t7y1AHvAfoXJdGSwimCZXuR4VEA" \
    "3NJAHgPOw\\nLypB+dukzseWLdN+e7YOYqyWfjJg4aQmCx+nr866/"                                                  \
    "QlQ4mrEBTkBsDOO5tEsKugI\\nredu+lL6z9QFdmeQpoC+"                                                         \
    "s6JKnV29KHZXNDBZ1gnXOyA6lIBjjFjZqnkwT1ToHwID\\nAQABMA0GCSqGSIb3DQEBCwUAA4ICAQC8v5BIEooDSe5Kpzwsh9QLK7I" \
    "p33v4VHo+\\nq82DRjAXiosFoaJ1dg+hwXOUo5VPSOqWCPNYRHDabuX4oiZAGPA9O5lTKQ/PQS4y\\nYIsD9XgeuDllBo3Y/"       \
    "uBwjoFFAD169fYMmZgGQ/PCdFS9nrYduPAIzNnsip+Z+XRK\\nqLwm83H/"                                             \
    "nKKgVvbGprNcivG3c8H42CKQ7aqDkEGuSG9EVRnQOMaI7ILMx/oj33Mk\\nuJ/21z4AHj7ads3dUF4syEBo5gWCAiBd+g1E/"       \
    "BkFnn+G+oOYo7c12dB+r6rbgrA0\\nBk+bW0NvU2ApP/LRRGaJD4wW2UoAklL618+CRWNtXdT+WeKIPlrEdC/"                  \
    "0yzU5t6sA\\nII+PfvbeWQfL5CssbWhkTbJFt3JKTrIMc9cMjNcqeS+"                                                \
    "bAELuI16d4CZ5TlmZZeMd\\n1WCv6R3YifkR9IogZhix20nPCF1mfo7Q0XAywkx8pPAC4n6uYStU9YobNAGlWXz+"               \
    "\\nYbbJDf9r9au88Gu6xFf3eETKu2tJsQgVYBmXic85+FoV45qBI5YZvqiX9XZtWXw2\\n391fW+"                           \
    "NdK01Jc0tqtADubaF6D4ncnriufqcz+70O0p7CzPbTMtUsPFxcfqZ6x1KX\\ngP1TgZM++"                                 \
    "PuYjHEyCFhHQBz9cQlxPdW4alaDYBnnKvLZXDOAXCWVWS6SXa5tkU3n\\nk9i0HC1bhg==\\n-----END "                     \
    "CERTIFICATE-----\\n\""
#define S100                                                                                                 \
    "\"-----BEGIN PRIVATE "                                                                                  \
    "KEY-----"                                                                                               \
    "\\nMIIJQgIBADANBgkqhkiG9w0BAQEFAASCCSwwggkoAgEAAoICAQDTcNASD17ohP3V\\n14LMUIkFwAeeeniSXy4Pl3EqIgVpt9ul" \
    "2IZiTm4JOYSgQ681bjt1OdwCkBf2Cg62\\nDUyHMMwwnbaznN/"                                                     \
    "Y5piYlaS33XCvcNpMOWxwA4Z5Q0jNAshBExp8EzjEojbIUoeS\\nncAP9jtOO/"                                         \
    "NArhLq+XodmONLqBG8KmZc2uiAeJ7ZjTpOckASYPYy7tUc4Ha3XUV0\\nSoF/"                                          \
    "+0SJrXYOtpyMuMxwks6jMbpacmZnjFIe8m2xH97s5inmHkzjBVKbpBQQHROP\\n6A61VOrH9FrJRiACZ440zFJ1CGlXZau4oJgs9S1" \
    "YRDI4W2Ha1WIYLpUBEMYXVYyn\\n4swTBj42HqpSmfppOoR2g1d/AjxpFVAkPLrict/nszhTIkEUE39vJh4HuytT49ss\\n/"       \
    "cp4KokxBjLz7LmTUEzxJS8dB9714KzOhFRHnpap0onU7Yb+Yz8/"                                                    \
    "21bZL4AEL1d2\\nJg48jRET1Mrl9GOnWjzo7JxioUsbLcOoy8Qcu2L87BQZqHCVpq6TcJKfPgh9t7y1\\nAHvAfoXJdGSwimCZXuR4" \
    "VEA3NJAHgPOwLypB+dukzseWLdN+e7YOYqyWfjJg4aQm\\nCx+nr866/"                                               \
    "QlQ4mrEBTkBsDOO5tEsKugIredu+lL6z9QFdmeQpoC+"                                                            \
    "s6JKnV29KHZX\\nNDBZ1gnXOyA6lIBjjFjZqnkwT1ToHwIDAQABAoICAAiuKHSdWe2czBjz1IRTyBRK\\n2mU4rOuBadAtDPHIXMWG" \
    "zUclOPsfMihByr6TmMVORbWdzvjx9nHc3ta9fAdOywsx\\n5lbAWXY7nUciWZVMy3wAW43mi5uboXEoAHyeIR9+y8cNOPblm+"      \
    "8kaDluLXzaRHwF\\nPQrKOq+X11oQtUAdYcECUpp8SDBCA291+09OJHA8t87GfExHsMf9VcUc6+"                            \
    "0XoSwv\\nyVl4SLwEOCxk8oPDnl1pNegJXDO2CyfK4amDF3RBiTGGveny1foFX5C4W6Y5Grxj\\nvThnHxhKLQ3g13/"            \
    "DfSOf4mldenHaDOcDQbaLldxYh0Lr4qUdDazWj8QyrOMZDgOy\\nnNnj9zuaI3Hw+zaGm6SQ4pG/s+IujUxyc0yNjGE5R/"         \
    "PswXBkpIR23w5hY7xyr0Eo\\n/Gb+jAumKxu/QA1GWY9DL/"                                                        \
    "YKbG0sHJlG8BMzMls5YlWoOhcqw3DHJvLSpI4GlQba\\nhC741lNpCrf5FsyDu4ZOVfihDgGq3WteuEZ5vNBgLpateuAmCNjmNSDa/" \
    "bK1cqBh\\nUlgPbFTEYBSklgt8oEEfhvn3ZNvxgRMCFu9USXRQeMIbB+"                                               \
    "BVQnarWOTYhKL5dqAh\\nuYCQprMRuu4FowAFYb37jEBktVAuJDJE4qwqYkLdu2g35SjbUgIJUn3oNDT7sgHs\\nSjlWT6005qL6dk" \
    "jINWXZAoIBAQDXdtWq/"                                                                                    \
    "jA3RswzQdLewjzaJR9wTbl8lV699ei6\\n8HUW9fr55mHyVewRihKNKFF0XnSAKBEqosyZ7joOdMwon0XmCZfJrjxTca4zhBtl\\nk" \
    "1ku9mnRhck0ztc4OUKGyvb9oJ/PlN1CrU/hBwYVjnbWDVtufq/xGxeSzWx2zad/"                                        \
    "\\nb824leawE4c9ozdp1cGtx0iwYAGjjA4BmCQIXiNcYa8qKU6SmHtD95pIbZUvqyOg\\ndT8TRcvt4jySibZtpWRF1NczNsnPa9TV" \
    "6vtJqlZmF+vB1XZVLW0n/CyhAX8pb6qG\\ncImaViA4V6/"                                                         \
    "I1VzCYR6FD+vPL8hv8G36rEpwAHLEHWUcvkmHAoIBAQD7ODKXb5XL\\nt3L9hxcOYrOshqKUCaT+52/"                        \
    "Qmnntb0foxs5CcqBOPerOOTJgEPfn0NW3Ij8zaInk\\nNSSSZNJVG3jpWLzOTNUN/"                                      \
    "Cyep+"                                                                                                  \
    "Tkt50LyvMBa4AUUx3HtkDKqaL789A3WfQ8LJbO\\n4WRPM9QNFLxh8uitHkVZY0FgI11eZunNv7kplYltrOGJIVGa3u7rLxLw/"     \
    "EeX7BLi\\n1lnaQobVwrVWD1NU1J16PdGp3lKPk8J7y2fSj+"                                                       \
    "UQW76ABopzFayO5nqi06ULMIDm\\nwVweYnYOBvNqqdG28u3ob15WCzH4WFd/RYDorXD3Xs9P0LEf9pf/PZ7elU/"               \
    "PEDse\\njHXUNSPIVjKpAoIBABqjAEtBXWiYAgqcKpuLW8aELFzP3wx90tadHgZuT6tlAX//"                               \
    "\\ncUBqSuLoNN7qixddzf1B9s1UjwLApsC+w7aJ6jREH1W5io+uUCDiRhjKnI3nvLFA\\nXt1+bLDwsz7CvMIiJ1+"              \
    "cQbZKgsOJAMGNeTeBMzp3wvyFouZtKumNBxYEFmSpc3l1\\nEJUYJnOZD3aSWnQjilBTsi+URXAbYze6g9MshCAvZZ3DcHlfwr+/"   \
    "4omltQSG7m0c\\nOOzMxZbMiZbwdyJHta9E320KvcIfosrATk8KOrTRBtuYm1PUQYo32dcA9qHz38vX\\nW03ywqLtKr68dySH/"    \
    "bmI+a+xuQobpBSGpcdl5uUCggEAIZBckgcCiHk2D9FgrzdY\\nshA64HR5auUY91HsQGDBxsPpAs+"                          \
    "1wz5ahLr3lAYwWPR52UHmF8Q7yBWhkT2PLHfD\\nK8oDT7zMKlYqz/e2iShO/"                                          \
    "yhaVzI5pn2EWQ5skacgc3EbvIl0LCX48CME9+AA0M6Y\\nbK27kIWe1laAgYu4CcjOLAMVhgzIk7KpX1zoPjzSxvE/"             \
    "IptSJWYRD+V7k8GXqi+d\\ncqYRiB/v+kkQHhXqCey/6zI96M/"                                                     \
    "41rqrNQeqr72RlHYOpHqKbnhIgIwM9rJI+"                                                                     \
    "47K\\nLtIJhtvmFUvr2qscPgXvir2Kf4vMsAAmyo8jWxXjMOLWuv5P72ZHv8kcZQHEihua\\nIQKCAQEArirbu/1dp/"            \
    "WTPdzhDjRRup8zLHXNzdm1WYCx6NSdouZyWpsqjcJEIKkj\\nWSv68hF4wp647eKU3/"                                    \
    "a27lungqCAKFpKzr1DptvXIJ9iQ53mZ+"                                                                       \
    "dL9JYl9hmowtWY\\nrrRVLmaroKOvSVgnFRmKm5IEOTmaZhE20F4l0tFa4gSdTgbMSkgO3jvlw5nxte0Q\\nE22gLpwhfX+"        \
    "YpbOgMETZ/0aH/MIdwJeyYm3GAhwVMyRnQztz/"                                                                 \
    "P8U0irS3GaNeEXc\\nLYpsx8F42L9P11OzEw+82DV2XzoHKZUYnGngXs6qByUeuGDTb0daDjOK5on6eNKL\\nAj0c+"             \
    "XArCS87P4iflF9maJ3Tk/NfaA==\\n-----END PRIVATE KEY-----\\n\""
#define S101                                                                                                 \
    "\"MIIEszCCApsCFDPRm4sTNZqiH601E6E6pEaJaCKqMA0GCSqGSIb3DQEBCwUAMBYxFDASBgNVBAMMC2V4YW1wbGUuY29tMB4XDTIz" \
    "MDUxMjEyMDIxNFoXDTIzMDYxMTEyMDIxNFowFjEUMBIGA1UEAwwLZXhhbXBsZS5jb20wggIiMA0GCSqGSIb3DQEBAQUAA4ICDwAwgg" \
    "IKAoICAQDTcNASD17ohP3V14LMUIkFwAeeeniSXy4Pl3EqIgVpt9ul2IZiTm4JOYSgQ681bjt1OdwCkBf2Cg62DUyHMMwwnbaznN/"  \
    "Y5piYlaS33XCvcNpMOWxwA4Z5Q0jNAshBExp8EzjEojbIUoeSncAP9jtOO/"                                            \
    "NArhLq+XodmONLqBG8KmZc2uiAeJ7ZjTpOckASYPYy7tUc4Ha3XUV0SoF/"                                             \
    "+0SJrXYOtpyMuMxwks6jMbpacmZnjFIe8m2xH97s5inmHkzjBVKbpBQQHROP6A61VOrH9FrJRiACZ440zFJ1CGlXZau4oJgs9S1YRD" \
    "I4W2Ha1WIYLpUBEMYXVYyn4swTBj42HqpSmfppOoR2g1d/AjxpFVAkPLrict/nszhTIkEUE39vJh4HuytT49ss/"                \
    "cp4KokxBjLz7LmTUEzxJS8dB9714KzOhFRHnpap0onU7Yb+Yz8/"                                                    \
    "21bZL4AEL1d2Jg48jRET1Mrl9GOnWjzo7JxioUsbLcOoy8Qcu2L87BQZqHCVpq6TcJKfPgh9t7y1AHvAfoXJdGSwimCZXuR4VEA3NJ" \
    "AHgPOwLypB+dukzseWLdN+e7YOYqyWfjJg4aQmCx+nr866/"                                                        \
    "QlQ4mrEBTkBsDOO5tEsKugIredu+lL6z9QFdmeQpoC+"                                                            \
    "s6JKnV29KHZXNDBZ1gnXOyA6lIBjjFjZqnkwT1ToHwIDAQABMA0GCSqGSIb3DQEBCwUAA4ICAQC8v5BIEooDSe5Kpzwsh9QLK7Ip33" \
    "v4VHo+q82DRjAXiosFoaJ1dg+hwXOUo5VPSOqWCPNYRHDabuX4oiZAGPA9O5lTKQ/PQS4yYIsD9XgeuDllBo3Y/"                \
    "uBwjoFFAD169fYMmZgGQ/PCdFS9nrYduPAIzNnsip+Z+XRKqLwm83H/"                                                \
    "nKKgVvbGprNcivG3c8H42CKQ7aqDkEGuSG9EVRnQOMaI7ILMx/oj33MkuJ/21z4AHj7ads3dUF4syEBo5gWCAiBd+g1E/"          \
    "BkFnn+G+oOYo7c12dB+r6rbgrA0Bk+bW0NvU2ApP/LRRGaJD4wW2UoAklL618+CRWNtXdT+WeKIPlrEdC/"                     \
    "0yzU5t6sAII+PfvbeWQfL5CssbWhkTbJFt3JKTrIMc9cMjNcqeS+"                                                   \
    "bAELuI16d4CZ5TlmZZeMd1WCv6R3YifkR9IogZhix20nPCF1mfo7Q0XAywkx8pPAC4n6uYStU9YobNAGlWXz+"                  \
    "YbbJDf9r9au88Gu6xFf3eETKu2tJsQgVYBmXic85+FoV45qBI5YZvqiX9XZtWXw2391fW+NdK01Jc0tqtADubaF6D4ncnriufqcz+"  \
    "70O0p7CzPbTMtUsPFxcfqZ6x1KXgP1TgZM++PuYjHEyCFhHQBz9cQlxPdW4alaDYBnnKvLZXDOAXCWVWS6SXa5tkU3nk9i0HC1bhg=" \
    "=\""
#define S102                                                                                                 \
    "\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUY3ekNDQTllZ0F3SUJBZ0lVZFJIQStCMC9aZ2tuS1BsQjJmc3dFOThsekFj" \
    "d0RRWUpLb1pJaHZjTkFRRUwKQlFBd2dZWXhDekFKQmdOVkJBWVRBbGhZTVJJd0VBWURWUVFJREFsVGRHRjBaVTVoYldVeEVUQVBCZ0" \
    "5WQkFjTQpDRU5wZEhsT1lXMWxNUlF3RWdZRFZRUUtEQXREYjIxd1lXNTVUbUZ0WlRFYk1Ca0dBMVVFQ3d3U1EyOXRjR0Z1CmVWTmxZ" \
    "M1JwYjI1T1lXMWxNUjB3R3dZRFZRUUREQlJEYjIxdGIyNU9ZVzFsVDNKSWIzTjBibUZ0WlRBZUZ3MHkKTXpBMU1UQXhNalV4TWpoYU" \
    "Z3MHpNekExTURjeE1qVXhNamhhTUlHR01Rc3dDUVlEVlFRR0V3SllXREVTTUJBRwpBMVVFQ0F3SlUzUmhkR1ZPWVcxbE1SRXdEd1lE" \
    "VlFRSERBaERhWFI1VG1GdFpURVVNQklHQTFVRUNnd0xRMjl0CmNHRnVlVTVoYldVeEd6QVpCZ05WQkFzTUVrTnZiWEJoYm5sVFpXTj" \
    "BhVzl1VG1GdFpURWRNQnNHQTFVRUF3d1UKUTI5dGJXOXVUbUZ0WlU5eVNHOXpkRzVoYldVd2dnSWlNQTBHQ1NxR1NJYjNEUUVCQVFV" \
    "QUE0SUNEd0F3Z2dJSwpBb0lDQVFDM045anZpY21LcEdkMVAzcFhlQStNb2lkZE5qSjV2TTEzS3FhVGMxMjltY21ISHRJcmpHbmhvTH" \
    "JOClNMV2NMR0tOQmJzQk5pNWxvcTQxc0pvZ3ltTnhVc3hRUUVyWG41RGlFbkVRZjFCcStuU0d6SWRHbWJtSlZXcUgKdDR0U0lIZENJ" \
    "RWF4SERIV2tJb2tsUjR0OENnTkl2aEtxbEdHSmx2TGZQVlpnV0hqczlIQSs2K0czNXRwL1pnQQp2U0EvTnV0azVQOUFMT2pseXNpeV" \
    "NpWDZtYVJQayt5ck5mcHF6QTljbEllVlFRQ1RTR0hSUGVPeGcxU1NxcEhoCk11a3VZMDFKSHdvdEJVUWxOS3VEV0J3ejEzRk91YVBj" \
    "NzRnMHBzTlFXZUNJaTdJWjZjUFpXSmZiQ2tSSEIwZUYKcGFPR2NueUZGYWZBZk5ZWjF3Wjg3SDZVM1U0endyMElMeFl6NkRuOEI0Zk" \
    "lra29ZMTlQSEVtbjR0ckhtNXdiUgpuSlZQaWVmZkFaenFLL3pjYWlCRlZEZEdRQy9UeTNLNXo5K1ZGYkl6UFdJUjVTNndlV3RiQTho" \
    "M2FhL0UvdEhTCkNZV3ZpKzRSd3FQeGZXUTZKZXZ4ZFdDMDhSZ3kxSVB6N3Zxa3ZEMGJnN1JmMDF2SVVvaE8zdmJvSDdKejJLMG8Kdk" \
    "VHaVJkY1BRZkJ4eS9SNk80ZXN0UHBUTEU5Q1NTa2NUQVFjaWZDcG4zT1U4L3Z1UkxERXk5QXQrbWFkK0c1VgpLaVNubzhENXlnbGpP" \
    "SEVRSUNaTzBjRU5GNXVWY3JOTmhRWVMwSmQ3RjllVkNTTzhIVUNzbE1xRjJlZG5GQ3BTCmZyWUlRa3NSVGdlajRiWFV4bFRGM3Zmak" \
    "VabjVpZFZzSWdqMnRWUW9OMGRybjhNQVNRSURBUUFCbzFNd1VUQWQKQmdOVkhRNEVGZ1FVbERYeVAySHIrVlFNMWFIbHpjTjliRGxN" \
    "Ykpzd0h3WURWUjBqQkJnd0ZvQVVsRFh5UDJIcgorVlFNMWFIbHpjTjliRGxNYkpzd0R3WURWUjBUQVFIL0JBVXdBd0VCL3pBTkJna3" \
    "Foa2lHOXcwQkFRc0ZBQU9DCkFnRUFDekdyZlhWWWhmQ210RlpOMFk2TktRN2cxSFZHSVg1VjNBbDRVK29vM3krOW40S1ZHa2dWOWpo" \
    "L2RaOGsKbXpXbXBYT0dSZkQxdWZSY0Q5cW9YeStHSFJ3LzBibTJ3a1ZjTXZFc25NeCtEa3VoaVZPSWMwUFlETmo4N3VLMwp2TkZCTT" \
    "M5dW8xZmlKOXlkOVNLUXNqQjk0bFZNYUYxMDg5d2V2UFlsNXFtYm9rdTJxdXJYM3V3NVZ2eXNIQUF3ClUyeTB4OHkvYzNqdzlNZksx" \
    "WDBHWWhTY1owcFYzeTN4dGxxckhuTmpTUmFaM3BmUGw3NGFjMGJndEU5cThKdDUKbzNEMGdmWmkwOFJrdW5ua2dKMS9QZDVpYUgvWE" \
    "dnVG56NXdTRUF6VFJCWEhLWVlvRnBGV0wwcnowa0pvamZDdwpSdXQ2T21uL0w2blFXL1I1endzcXZrQUR1by9LWFkyTjY5L1J4UHcw" \
    "ejhFcTZZTVR0OHBXOGU1ZHpSRlFUS2N2CktUdDJCNTB1VFVEUlBRbW92dkYzRmRqcllaYkhyRlhHUXIyaGV6bDU2QkRSSkJaTzhIQ0" \
    "g0NEIxc3d6K3QySWYKb3V2MlBIZDA1V3ZDVHIvM0dFL2ZiVGpabFVWeDhaYTJUWXdWakhTUzl3OWtRQ1V2dzNXM25OdVF6TklHVGJz" \
    "YQpEdlQzeVN0MjJkRDQwTVlrNHpOc3o4d1YwUVYwdmJ5enorMUZUSXJlVldJSXhpMHVveWdNaHVGTDdJem4xeHNBClQ4TWVsbHQzN2" \
    "0wM2V2QkxwUXdPWHF0N1JXWlNaMllydVQ2clpkZ2RBOXRlK2Y3VUxhYUNGRDJxYzloRFRLOGoKemh3Mk41cGNIMVpYZGZBRjNNUWo1" \
    "VmErSElDRElaL3BtTmNkVlJnWWxWN0hkOWc9Ci0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K\""
#define S103                                                                                                 \
    "\"LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUpRZ0lCQURBTkJna3Foa2lHOXcwQkFRRUZBQVNDQ1N3d2dna29BZ0VBQW9J" \
    "Q0FRQzNOOWp2aWNtS3BHZDEKUDNwWGVBK01vaWRkTmpKNXZNMTNLcWFUYzEyOW1jbUhIdElyakduaG9Mck5TTFdjTEdLTkJic0JOaT" \
    "Vsb3E0MQpzSm9neW1OeFVzeFFRRXJYbjVEaUVuRVFmMUJxK25TR3pJZEdtYm1KVldxSHQ0dFNJSGRDSUVheEhESFdrSW9rCmxSNHQ4" \
    "Q2dOSXZoS3FsR0dKbHZMZlBWWmdXSGpzOUhBKzYrRzM1dHAvWmdBdlNBL051dGs1UDlBTE9qbHlzaXkKU2lYNm1hUlBrK3lyTmZwcX" \
    "pBOWNsSWVWUVFDVFNHSFJQZU94ZzFTU3FwSGhNdWt1WTAxSkh3b3RCVVFsTkt1RApXQnd6MTNGT3VhUGM3NGcwcHNOUVdlQ0lpN0la" \
    "NmNQWldKZmJDa1JIQjBlRnBhT0djbnlGRmFmQWZOWVoxd1o4CjdINlUzVTR6d3IwSUx4WXo2RG44QjRmSWtrb1kxOVBIRW1uNHRySG" \
    "01d2JSbkpWUGllZmZBWnpxSy96Y2FpQkYKVkRkR1FDL1R5M0s1ejkrVkZiSXpQV0lSNVM2d2VXdGJBOGgzYWEvRS90SFNDWVd2aSs0" \
    "UndxUHhmV1E2SmV2eApkV0MwOFJneTFJUHo3dnFrdkQwYmc3UmYwMXZJVW9oTzN2Ym9IN0p6Mkswb3ZFR2lSZGNQUWZCeHkvUjZPNG" \
    "VzCnRQcFRMRTlDU1NrY1RBUWNpZkNwbjNPVTgvdnVSTERFeTlBdCttYWQrRzVWS2lTbm84RDV5Z2xqT0hFUUlDWk8KMGNFTkY1dVZj" \
    "ck5OaFFZUzBKZDdGOWVWQ1NPOEhVQ3NsTXFGMmVkbkZDcFNmcllJUWtzUlRnZWo0YlhVeGxURgozdmZqRVpuNWlkVnNJZ2oydFZRb0" \
    "4wZHJuOE1BU1FJREFRQUJBb0lDQUJKaUttUm9neDRqM2xTYm5Lc3Jtd1hOCm5GMEVLOTdlcEpBTktiOFlQNExmYkNMZ1l3Nm5EVldz" \
    "QXFwSDNoOFFMZ2cvMTdKb3JSR2FGOWcvd3N0QSsyYmEKdTdEZXJwUEJpVEJCMFBIcWtGZFhqM3NhQ1FXNnRXelQ4dmN3b2F4SklTWX" \
    "pwbHd0ZTh1dlg0a0pwRWhRTlRpUwpObThKZFZvY1BiQW1kdGkyL0dzME52cmgxZ3dXb2htcHJnZCs4bjRkUk5Pd0RYTnpQaUFXYjNw" \
    "Q0tkcmg4U1JoCjc0aURSei9SZjBZWENoNmQ4ZENWWGVrNGlFRGVzRXp5QythWWJPQ3dhb2dJY3dVdTV0WkQyV1M1b2NUSzNHM2QKZn" \
    "hWVFBHdXFBdVZzU3pUd0xWdmZ3bnlyb0xzRDVmTnBoZEhoVzQzSkxYak9BakcwWk9nZFZPT1NlQ1g0S1prbwptcWc4b3Y1TksxclVR" \
    "VGQwNng2bmg0elBXdEdaTDIwbE9EMTZvRWgzUlZoRFU5akQ1U25aZ2M1Mzg2bVkxeTVJClV0QTBUUnh3MzNIcjRWT1ExaXVCZzlrNT" \
    "U2MzFIcGl0clBWZ1QvLzVzYzdjMjhpQ2lBRnVFZGg3SDF5cG5NNkgKc1pjL2prRTJBOFF1NnpKSTV2NzRoYkFaTmxONVMrcDU4ajhr" \
    "V2pPYTd4bnZwYk5saXc1a2JDK2Ezb25ZSVNHZApTNVZITzVEVkVaOEY3aUtUTS8zTEFZdDZScG0vdEZJOUhFZVRGWHVCVEVsYTlsb0" \
    "srUWdXbjF1QVVMeGtKUHFyCkFXZ0tzL0FYYWpxVyt0d3ZUM2M5cUFDaGFTakhjV3lxem05WGh6RDRwNTg2cnpDZ3M5VUNSSStudlEv" \
    "OGFIMWoKNm9CdkRqbUxpem9WUEVkR2k1VkJBb0lCQVFEM2pRZThEdVIxVjYveS9HcXRNRVcyVXptdTl2d1R4VXRBSFZtawpob25PbF" \
    "o0MDVEL1B3b0s1dXBORjV2QWtxNDN1b1M2OXVuQWxxbGpraVNmOTEzU3pYZEE4dXRRYlQzVFczUmxWCkZ2dXZlN3YvcWtRZFdScm5r" \
    "dXJhcWtFbnhUMnlKOGdlaG1Qcmo1STMwVHVRVXpSdmFRc2hyYkIwV3NCcGcrRmIKdWJnV29wU21hVTY5aEJpSGxwWFYrcjJRUXIrVl" \
    "lHT3JLUkNSWDRhMGxtbEJxbDdnemVZSTA2d2RpamszelF5cgorcVltYjRkdEFqd3huQ09CRG9qbVJBM2hGTmpVbC8wNlVvMmZzUEM1" \
    "cjduWlA2cURUMUU2MU5tVDhPZ3kyUWE1Cm90Uk4wS1E3bThGRXAwUDA4aHByOTRxVlZLaHB2NzMzcGMwQkhCQXZ6VG9RdTdKcEFvSU" \
    "JBUUM5ZUxZZzVSS3cKMDZQSEVmRlhMTnZ1NU12Q2I0T2NHY1BHUElLaHEyWExTbFJSSElVSkdueFB2RVRrcm93YXhDVGVVc2g0WUFt" \
    "UApZUjZxKzE2aHRwN1JBZ1RWNkxvZUpnQ2hDNVRvTWlkZkR2MmxEUnZneVpMWWtsU0VIcEpaSXRWWTI4NzFWTkRaClhFQWwwOGFGcH" \
    "lENDNseXdNc3UxaHYzSnRMVGJVTDNZdGtBZnBQVFJBZ0ZaaFlxbVJUdTJKeXN5dXVoWWFVbS8KeEw3WDcvYmlJZ2FPemR1YkF0QXBF" \
    "TUlEbnFOdVdKOUVBQit4a1c5VUIyTFpRZjBuOTh2bG40aUowaDhsb1V5RAphWElPbWpDZFJXeGFzeVRRQkNEZUR0eXgxbHNvb1R1U2" \
    "JWU1FFSHVUeUgzVno2UHZBZC9xNGxwRW5hY0UvMjE5CjRXUEh6NnArcDJMaEFvSUJBQ28yQXhhZkYzZW16eHJJemN2Z1NsTFBtQ3Rz" \
    "ZEFsUEFBamJ1RmhrbElVRVlDaTIKcnViWFRRRXNma1pTSGFxekVnMlpzR1dycjhuTVpVSDYzVFhja2txdmVYMlJnZTl5T2dNVlNtZU" \
    "c5cjJ5aEprUQp5SEtVcWhESXJZRkJ2TUJ5VXBYWlVMZGJ4UmY2c0QwU1VXekhzMDQ0QkN6bStBcXZHdFlqSmI5RlNNMmJSV3VtCjAw" \
    "VmZpK3M2MHl2Y2lJeGJ4VjFNUlZKL094TCt6ZkpuSDJXU0RvR1l1bHZROUMxSlQzNWpXWUROeVowT01YSjIKQ2h1UGUwSmJYeDZjaG" \
    "gxV042N3doNzUxS3k4S3RkR0QxRlhtRkVZMXRTMHA5RHZVdlZOR1RHNUZCSnlNTWlUego1eDIwdzlLMW9hbTlXUVVqbldBQzBQcTBh" \
    "K04vakljS0lKZVAyZGtDZ2dFQVhPZzhKcFV0UFJnS1R5czFOSklDCnBubjZrRFV1Uy9VMlVwYUpWODA3OVJ0VmpSQjNDNmU1SFVBc2" \
    "FCWlBEVER4QXpPRXFjSXQ3ZWlwcVIzcG9WSnoKUGZuSGRUelJSc2RMdDZ4K0wvMm40S3p4STJYeUxaK3FLaGhXNlJJMG9SQzduUDdy" \
    "MU5EcU9DdE1LVUJYTUdKcgpnSjFJeGYyaWRqamphV3o2NGpBTlo1NjJnczNZWGtTbGRNaE8zSWxHWm1OK2d6bXpoT2JjQ3ZUbXYrd2" \
    "pHMitqCjE1S0tCTkMwVWU2dHRDaXQ2d1g1MHRaY3RDMmtjWWZOcU1yNjRBWmFMUmExVlI5N3RuQUpuTWF2N3drY25ZSFYKU0FSZ0lN" \
    "QmxmWDI4S2xmNkMwcEVjK0M0Zm93V2pMamJPMlM5OWd6dFI3Z0dtMjdTMzFpQTBDRWRWSFU0SFRMbgpBUUtDQVFFQXNzajBmRThqa0" \
    "ZpdnpRMmxTZTBEeGhwUXFHZVF1UGROYkJKVnNBcVdmRXRKQ0h2R0JYaTZBeEIrClFnN015RE14dnVPYXQ1TVNUQ01GYzNYdVFUdEtx" \
    "dlF3SGxXMXZpTnJxckNzRHVRNTVDa1ZQTUxmazk4VlFoeHkKMnpUd20zOUd5a1ZpLy9CaU5LQzRCU2ZtZlN6cGdiYlJnSEI2Ny9zcG" \
    "IwejBMbXUrWG5uL0ROemxxS1pvQUZFQgpwcDdzNkVmWGdJN1Npbm94dGxuRHM4eDdFM2dlcEtENVVWbnQzM3FZbUhCOVZ3WHpUZDBa" \
    "SkhrY0x1b1VpanJjCko2cENYVTcrRlpPd3pJQi9IcFFPZ2pwdklqQ0pJaHRGeFZ5Z2JqdXVjRThRS2Naaml5VXNGTHZkQzVkZTFNZV" \
    "QKMXJKalFFc2laeEgrUVBSODh0dUJ5VVZHMDAwbHBBPT0KLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo=\""
#define S104                                                                                                 \
    "\"MIIF7zCCA9egAwIBAgIUdRHA+B0/"                                                                         \
    "ZgknKPlB2fswE98lzAcwDQYJKoZIhvcNAQELBQAwgYYxCzAJBgNVBAYTAlhYMRIwEAYDVQQIDAlTdGF0ZU5hbWUxETAPBgNVBAcMCE" \
    "NpdHlOYW1lMRQwEgYDVQQKDAtDb21wYW55TmFtZTEbMBkGA1UECwwSQ29tcGFueVNlY3Rpb25OYW1lMR0wGwYDVQQDDBRDb21tb25O" \
    "YW1lT3JIb3N0bmFtZTAeFw0yMzA1MTAxMjUxMjhaFw0zMzA1MDcxMjUxMjhaMIGGMQswCQYDVQQGEwJYWDESMBAGA1UECAwJU3RhdG" \
    "VOYW1lMREwDwYDVQQHDAhDaXR5TmFtZTEUMBIGA1UECgwLQ29tcGFueU5hbWUxGzAZBgNVBAsMEkNvbXBhbnlTZWN0aW9uTmFtZTEd" \
    "MBsGA1UEAwwUQ29tbW9uTmFtZU9ySG9zdG5hbWUwggIiMA0GCSqGSIb3DQEBAQUAA4ICDwAwggIKAoICAQC3N9jvicmKpGd1P3pXeA" \
    "+MoiddNjJ5vM13KqaTc129mcmHHtIrjGnhoLrNSLWcLGKNBbsBNi5loq41sJogymNxUsxQQErXn5DiEnEQf1Bq+"                \
    "nSGzIdGmbmJVWqHt4tSIHdCIEaxHDHWkIoklR4t8CgNIvhKqlGGJlvLfPVZgWHjs9HA+6+G35tp/ZgAvSA/"                    \
    "Nutk5P9ALOjlysiySiX6maRPk+"                                                                             \
    "yrNfpqzA9clIeVQQCTSGHRPeOxg1SSqpHhMukuY01JHwotBUQlNKuDWBwz13FOuaPc74g0psNQWeCIi7IZ6cPZWJfbCkRHB0eFpaOG" \
    "cnyFFafAfNYZ1wZ87H6U3U4zwr0ILxYz6Dn8B4fIkkoY19PHEmn4trHm5wbRnJVPieffAZzqK/zcaiBFVDdGQC/"                \
    "Ty3K5z9+VFbIzPWIR5S6weWtbA8h3aa/E/"                                                                     \
    "tHSCYWvi+4RwqPxfWQ6JevxdWC08Rgy1IPz7vqkvD0bg7Rf01vIUohO3vboH7Jz2K0ovEGiRdcPQfBxy/"                      \
    "R6O4estPpTLE9CSSkcTAQcifCpn3OU8/"                                                                       \
    "vuRLDEy9At+mad+"                                                                                        \
    "G5VKiSno8D5ygljOHEQICZO0cENF5uVcrNNhQYS0Jd7F9eVCSO8HUCslMqF2ednFCpSfrYIQksRTgej4bXUxlTF3vfjEZn5idVsIgj" \
    "2tVQoN0drn8MASQIDAQABo1MwUTAdBgNVHQ4EFgQUlDXyP2Hr+VQM1aHlzcN9bDlMbJswHwYDVR0jBBgwFoAUlDXyP2Hr+"         \
    "VQM1aHlzcN9bDlMbJswDwYDVR0TAQH/BAUwAwEB/"                                                               \
    "zANBgkqhkiG9w0BAQsFAAOCAgEACzGrfXVYhfCmtFZN0Y6NKQ7g1HVGIX5V3Al4U+oo3y+9n4KVGkgV9jh/"                    \
    "dZ8kmzWmpXOGRfD1ufRcD9qoXy+GHRw/"                                                                       \
    "0bm2wkVcMvEsnMx+"                                                                                       \
    "DkuhiVOIc0PYDNj87uK3vNFBM39uo1fiJ9yd9SKQsjB94lVMaF1089wevPYl5qmboku2qurX3uw5VvysHAAwU2y0x8y/"           \
    "c3jw9MfK1X0GYhScZ0pV3y3xtlqrHnNjSRaZ3pfPl74ac0bgtE9q8Jt5o3D0gfZi08RkunnkgJ1/Pd5iaH/"                    \
    "XGgTnz5wSEAzTRBXHKYYoFpFWL0rz0kJojfCwRut6Omn/L6nQW/R5zwsqvkADuo/KXY2N69/"                               \
    "RxPw0z8Eq6YMTt8pW8e5dzRFQTKcvKTt2B50uTUDRPQmovvF3FdjrYZbHrFXGQr2hezl56BDRJBZO8HCH44B1swz+"              \
    "t2Ifouv2PHd05WvCTr/3GE/"                                                                                \
    "fbTjZlUVx8Za2TYwVjHSS9w9kQCUvw3W3nNuQzNIGTbsaDvT3ySt22dD40MYk4zNsz8wV0QV0vbyzz+"                        \
    "1FTIreVWIIxi0uoygMhuFL7Izn1xsAT8Mellt37m03evBLpQwOXqt7RWZSZ2YruT6rZdgdA9te+"                            \
    "f7ULaaCFD2qc9hDTK8jzhw2N5pcH1ZXdfAF3MQj5Va+HICDIZ/pmNcdVRgYlV7Hd9g=\""
#define S105                                                                                                 \
    "\"AWS4-HMAC-SHA256 "                                                                                    \
    "Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/"                                               \
    "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="                             \
    "0047a7016c81e5c7f29cd522f97e911e04fc472fced0aee7916cbc287ad6c8e3\""
#define S106                                                                                                 \
    "\"AWS4-HMAC-SHA256 "                                                                                    \
    "Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/"                                               \
    "aws4_request,SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature="                         \
    "8f1dc7c9b9978356a0d0989fd26a95307f4f8a4aa264d8220647b7097d839952\""
#define S107                                                                                                 \
    "\"AWS4-HMAC-SHA256 "                                                                                    \
    "Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/"                                               \
    "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,Signature="        \
    "23c31bda8a74630c0a94f6b82a3511e7e74728df98e6f54ed0840488dbbdc8d1\""
#define S108                                                                                                 \
    "\"AWS4-HMAC-SHA256 "                                                                                    \
    "Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/"                                               \
    "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="                             \
    "5fb06ab1cfd74c8fcb3af95b8cce696708cf6155d971dac10f254d79799c6e88\""
#define S109                                                                                                 \
    "\"AWS4-HMAC-SHA256 "                                                                                    \
    "Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/"                                               \
    "aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="                             \
    "5bf26e169cb8b02330dba39d53932532438fc856c2f10537689a09ed807c7195\""
#define S110                                                                                                 \
    "\"AWS4-HMAC-SHA256 "                                                                                    \
    "Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/"                                               \
    "aws4_request,SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature="                         \
    "c6e6db654e92172f71e18c714c123711de069ac6fd7df1348e5b28fd05532028\""
#define S111                                                                                                 \
    "\"AWS4-HMAC-SHA256 "                                                                                    \
    "Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/"                                               \
    "aws4_request,SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature="                         \
    "f6703a8727ec0a32f81b225a002f622e511e8a7d2ca8914894fcbb7a71d8d9d8\""
#define S112                                                                                                 \
    "\"AWS4-HMAC-SHA256 "                                                                                    \
    "Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/"                                               \
    "aws4_request,SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature="                         \
    "42bcac7fc6d170e09be72fdf38b62e59361265bc59d5f9156f0d6faf889e98ba\""
#define S113                                                                                                 \
    "\"AWS4-HMAC-SHA256 "                                                                                    \
    "Credential=MYAWSACCESSKEYGOESHERE/20151228/us-east-1/s3/"                                               \
    "aws4_request,SignedHeaders=foo;host;x-amz-content-sha256;x-amz-date,Signature="                         \
    "edcd3ca3fd3acdfbcecad1a1d8062dbc6562d90352e294c336f9727397f9c383\""

/* the expected texts splice macros into string literals, which clang-format
 * does not lay out the same way twice */
// clang-format off
static const conf_case conf_cases[] = {
    {"cryptohmacequal/crypto.hmac.equal_md5",
     "crypto.hmac.equal",
     {"\"31b6db9e5eb4addb42f1a6ca07367adc\"", "\"31b6db9e5eb4addb42f1a6ca07367adc\"", NULL},
     CK_EQ,
     "true"},
    {"cryptohmacequal/crypto.hmac.equal_sha1",
     "crypto.hmac.equal",
     {"\"85d155c55ed286a300bd1cf124de08d87e914f3a\"", "\"85d155c55ed286a300bd1cf124de08d87e914f3a\"", NULL},
     CK_EQ,
     "true"},
    {"cryptohmacequal/crypto.hmac.equal_sha256",
     "crypto.hmac.equal",
     {"\"147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851\"",
      "\"147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851\"", NULL},
     CK_EQ,
     "true"},
    {"cryptohmacequal/crypto.hmac.equal_sha512", "crypto.hmac.equal", {S0, S0, NULL}, CK_EQ, "true"},
    {"cryptohmacequal/crypto.hmac.equal_false",
     "crypto.hmac.equal",
     {"\"31b6db9e5eb4addb42f1a6ca07367adc\"", "\"31b6db9e5eb4addb\"", NULL},
     CK_EQ,
     "false"},
    {"cryptohmacmd5/crypto.hmac.md5",
     "crypto.hmac.md5",
     {"\"foo\"", "\"bar\"", NULL},
     CK_EQ,
     "\"31b6db9e5eb4addb42f1a6ca07367adc\""},
    {"cryptohmacmd5/crypto.hmac.md5_unicode",
     "crypto.hmac.md5",
     {"\"\\u00e5\\u00e4\\u00f6\\u00e7\\u00df\\ud83e\\udd72\\u2659\\u03a9\"", "\"\\u79d8\\u5bc6\\u306e\"",
      NULL},
     CK_EQ,
     "\"20a8743c2157ac60b7e8b79c83651b8d\""},
    {"cryptohmacsha1/crypto.hmac.sha1",
     "crypto.hmac.sha1",
     {"\"foo\"", "\"bar\"", NULL},
     CK_EQ,
     "\"85d155c55ed286a300bd1cf124de08d87e914f3a\""},
    {"cryptohmacsha1/crypto.hmac.sha1_unicode",
     "crypto.hmac.sha1",
     {"\"\\u00e5\\u00e4\\u00f6\\u00e7\\u00df\\ud83e\\udd72\\u2659\\u03a9\"", "\"\\u79d8\\u5bc6\\u306e\"",
      NULL},
     CK_EQ,
     "\"81759c39013935fcf0de833d44c8018d7c1455dd\""},
    {"cryptohmacsha256/crypto.hmac.sha256",
     "crypto.hmac.sha256",
     {"\"foo\"", "\"bar\"", NULL},
     CK_EQ,
     "\"147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851\""},
    {"cryptohmacsha256/crypto.hmac.sha256_unicode",
     "crypto.hmac.sha256",
     {"\"\\u00e5\\u00e4\\u00f6\\u00e7\\u00df\\ud83e\\udd72\\u2659\\u03a9\"", "\"\\u79d8\\u5bc6\\u306e\"",
      NULL},
     CK_EQ,
     "\"eb90daeb76d4b2571fbdaf94bbb240809faa8fed93ec0c260dd38c3fdf8d963a\""},
    {"cryptohmacsha512/crypto.hmac.sha512", "crypto.hmac.sha512", {"\"foo\"", "\"bar\"", NULL}, CK_EQ, S0},
    {"cryptohmacsha512/crypto.hmac.sha512_unicode",
     "crypto.hmac.sha512",
     {"\"\\u00e5\\u00e4\\u00f6\\u00e7\\u00df\\ud83e\\udd72\\u2659\\u03a9\"", "\"\\u79d8\\u5bc6\\u306e\"",
      NULL},
     CK_EQ,
     S1},
    {"cryptomd5/crypto.md5 with string",
     "crypto.md5",
     {"\"lorem ipsum\"", NULL, NULL},
     CK_EQ,
     "\"80a751fde577028640c419000e33eba6\""},
    {"cryptosha1/crypto.sha1 with string",
     "crypto.sha1",
     {"\"lorem ipsum\"", NULL, NULL},
     CK_EQ,
     "\"bfb7759a67daeb65410490b4d98bb9da7d1ea2ce\""},
    {"cryptosha256/crypto.sha256 with string",
     "crypto.sha256",
     {"\"lorem ipsum\"", NULL, NULL},
     CK_EQ,
     "\"5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269\""},
    {"cryptox509parsecertificaterequest/PEM, b64",
     "crypto.x509.parse_certificate_request",
     {S2, NULL, NULL},
     CK_CN,
     "\"example.com\""},
    {"cryptox509parsecertificaterequest/PEM, string",
     "crypto.x509.parse_certificate_request",
     {S3, NULL, NULL},
     CK_CN,
     "\"example.com\""},
    {"cryptox509parsecertificaterequest/DER, b64",
     "crypto.x509.parse_certificate_request",
     {S4, NULL, NULL},
     CK_CN,
     "\"example.com\""},
    {"cryptox509parsecertificaterequest/invalid DER or PEM data, b64",
     "crypto.x509.parse_certificate_request",
     {"\"YmFkc3RyaW5n\"", NULL, NULL},
     CK_ERR,
     "asn1: structure error"},
    {"cryptox509parsecertificaterequest/invalid DER or PEM data, string",
     "crypto.x509.parse_certificate_request",
     {"\"foobar\"", NULL, NULL},
     CK_ERR,
     "illegal base64"},
    {"cryptox509parsersaprivatekey/valid",
     "crypto.x509.parse_rsa_private_key",
     {S5, NULL, NULL},
     CK_EQ,
     "{\"d\": " S6 ", \"dp\": " S7 ", \"dq\": " S8 ", \"e\": \"AQAB\", \"kty\": \"RSA\", \"n\": " S9
     ", \"p\": " S10 ", \"q\": " S11 ", \"qi\": " S12 "}"},
    {"cryptox509parsersaprivatekey/invalid",
     "crypto.x509.parse_rsa_private_key",
     {"\"invalid\"", NULL, NULL},
     CK_ERR,
     "illegal base64"},
    {"jwtbuiltins/simple",
     "io.jwt.decode",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO_"
      "WRONMSJzGUDP9pDjy8Jp0_tdRXY\"",
      NULL, NULL},
     CK_EQ,
     "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}, "
     "\"5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576\"]"},
    {"jwtbuiltins/simple-non-registered",
     "io.jwt.decode",
     {S13, NULL, NULL},
     CK_EQ,
     "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"new\": \"I am a user created field\"}, "
     "\"e949a3b1c9550c60fd8dc997fc5f112735601ed519b8bbb6a71905fd41100ab1\"]"},
    {"jwtbuiltins/no-support-jwe",
     "io.jwt.decode",
     {S14, NULL, NULL},
     CK_ERR,
     "JWT is a JWE object, which is not supported"},
    {"jwtbuiltins/no-periods",
     "io.jwt.decode",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0XmVoLoHI3pxMtMO_"
      "WRONMSJzGUDP9pDjy8Jp0_tdRXY\"",
      NULL, NULL},
     CK_ERR,
     "encoded JWT had no period separators"},
    {"jwtbuiltins/wrong-period-count",
     "io.jwt.decode",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXV.CJ9eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0XmVoLoHI3pxMtMO_"
      "WRONMSJzGUDP9pDjy8Jp0_tdRXY\"",
      NULL, NULL},
     CK_ERR,
     "encoded JWT must have 3 sections, found 2"},
    {"jwtbuiltins/bad-header-encoding",
     "io.jwt.decode",
     {"\"eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO_"
      "WRONMSJzGUDP9pDjy8Jp0_tdRXY\"",
      NULL, NULL},
     CK_ERR,
     "JWT header had invalid encoding: illegal base64 data at input byte 13"},
    {"jwtbuiltins/bad-payload-encoding",
     "io.jwt.decode",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwia/"
      "XNzIjoib3BhIn0.XmVoLoHI3pxMtMO_WRONMSJzGUDP9pDjy8Jp0_tdRXY\"",
      NULL, NULL},
     CK_ERR,
     "JWT payload had invalid encoding: illegal base64 data at input byte 17"},
    {"jwtbuiltins/bad-signature-encoding",
     "io.jwt.decode",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwIiwiaXNzIjoib3BhIn0.XmVoLoHI3pxMtMO(_"
      "WRONMSJzGUDP9pDjy8Jp0_tdRXY\"",
      NULL, NULL},
     CK_ERR,
     "JWT signature had invalid encoding: illegal base64 data at input byte 15"},
    {"jwtbuiltins/nested",
     "io.jwt.decode",
     {S15, NULL, NULL},
     CK_EQ,
     "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}, "
     "\"5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576\"]"},
    {"jwtbuiltins/double-nested",
     "io.jwt.decode",
     {S16, NULL, NULL},
     CK_EQ,
     "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}, "
     "\"5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576\"]"},
    {"jwtbuiltins/complex-values",
     "io.jwt.decode",
     {S17, NULL, NULL},
     CK_EQ,
     "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"ext\": {\"abc\": \"123\", \"cba\": [10, \"10\"]}, \"iss\": "
     "\"opa\", \"sub\": \"0\"}, \"208c45fae27a8b82b90e3ef5c4d2e751ea81f639ae8e5eae8d32278628b53f11\"]"},
    {"jwtbuiltins/duplicate-keys",
     "io.jwt.decode",
     {S18, NULL, NULL},
     CK_EQ,
     "[{\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"opa\", \"sub\": \"0\"}, "
     "\"5e65682e81c8de9c4cb4c3bf59138d3122731940cff690e3cbc269d3fb5d4576\"]"},
    {"jwtdecodeverify/ps256-unconstrained",
     "io.jwt.decode_verify",
     {S19, "{\"cert\": " S20 "}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"PS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/ps256-key-wrong",
     "io.jwt.decode_verify",
     {S19, "{\"cert\": " S21 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-key-wrong",
     "io.jwt.decode_verify",
     {S22, "{\"cert\": " S21 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/ps256-iss-ok",
     "io.jwt.decode_verify",
     {S19, "{\"cert\": " S20 ", \"iss\": \"xxx\"}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"PS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/ps256-iss-wrong",
     "io.jwt.decode_verify",
     {S19, "{\"cert\": " S20 ", \"iss\": \"yyy\"}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/ps256-alg-ok",
     "io.jwt.decode_verify",
     {S19, "{\"alg\": \"PS256\", \"cert\": " S20 "}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"PS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/ps256-alg-wrong",
     "io.jwt.decode_verify",
     {S19, "{\"alg\": \"RS256\", \"cert\": " S20 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-exp-ok",
     "io.jwt.decode_verify",
     {S22, "{\"cert\": " S20 ", \"time\": 2000000000000}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"RS256\", \"typ\": \"JWT\"}, {\"exp\": 3000, \"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/rs256-exp-expired",
     "io.jwt.decode_verify",
     {S22, "{\"cert\": " S20 ", \"time\": 4000000000000}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-exp-now-expired",
     "io.jwt.decode_verify",
     {S22, "{\"cert\": " S20 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-nbf-ok",
     "io.jwt.decode_verify",
     {S23, "{\"cert\": " S20 ", \"time\": 2000000000000}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"RS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\", \"nbf\": 1000}]"},
    {"jwtdecodeverify/rs256-nbf-now-ok",
     "io.jwt.decode_verify",
     {S23, "{\"cert\": " S20 "}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"RS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\", \"nbf\": 1000}]"},
    {"jwtdecodeverify/rs256-nbf-toosoon",
     "io.jwt.decode_verify",
     {S23, "{\"cert\": " S20 ", \"time\": 500000000000}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-alg-missing",
     "io.jwt.decode_verify",
     {S24, "{\"cert\": " S20 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-crit-junk",
     "io.jwt.decode_verify",
     {S25, "{\"cert\": " S20 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rsa256-nested",
     "io.jwt.decode_verify",
     {S26, "{\"cert\": " S20 "}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"RS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/rsa256-nested2",
     "io.jwt.decode_verify",
     {S27, "{\"cert\": " S20 "}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"RS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/es256-unconstrained",
     "io.jwt.decode_verify",
     {S28, "{\"cert\": " S29 "}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"ES256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/hs256-unconstrained",
     "io.jwt.decode_verify",
     {S30, "{\"secret\": \"secret\"}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"azp\": \"alice\", \"hr\": false, \"subordinates\": "
     "[], \"user\": \"alice\"}]"},
    {"jwtdecodeverify/hs256-key-wrong",
     "io.jwt.decode_verify",
     {S30, "{\"secret\": \"the wrong key\"}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-aud",
     "io.jwt.decode_verify",
     {S31, "{\"aud\": \"fred\", \"cert\": " S20 "}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"RS256\", \"typ\": \"JWT\"}, {\"aud\": \"fred\", \"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/rs256-aud-list",
     "io.jwt.decode_verify",
     {S32, "{\"aud\": \"bob\", \"cert\": " S20 "}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"RS256\", \"typ\": \"JWT\"}, {\"aud\": [\"fred\", \"bob\"], \"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/ps256-no-aud",
     "io.jwt.decode_verify",
     {S19, "{\"aud\": \"cath\", \"cert\": " S20 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-missing-aud",
     "io.jwt.decode_verify",
     {S31, "{\"cert\": " S20 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-wrong-aud",
     "io.jwt.decode_verify",
     {S31, "{\"aud\": \"cath\", \"cert\": " S20 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/rs256-wrong-aud-list",
     "io.jwt.decode_verify",
     {S32, "{\"aud\": \"cath\", \"cert\": " S20 "}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/multiple-keys-one-valid",
     "io.jwt.decode_verify",
     {S33, "{\"cert\": " S34 ", \"time\": 1574723450396363500}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"RS256\", \"typ\": \"JWT\"}, {\"admin\": true, \"iat\": 1516239022, \"name\": \"John "
     "Doe\", \"sub\": \"1234567890\"}]"},
    {"jwtdecodeverify/multiple-keys-no-valid",
     "io.jwt.decode_verify",
     {S35, "{\"cert\": " S34 ", \"time\": 1574723450396363500}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/hs256-float-nbf",
     "io.jwt.decode_verify",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ4eHgiLCJuYmYiOjEwMDAuMX0.8ab0xurlRs_"
      "glclA3Sm7OMQgwkQvE4HuLsfMOc4nVO8\"",
      "{\"secret\": \"secret\", \"time\": 2000000000000.1}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\", \"nbf\": 1000.1}]"},
    {"jwtdecodeverify/hs256-float-nbf-not-valid",
     "io.jwt.decode_verify",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ4eHgiLCJuYmYiOjMwMDAuMX0."
      "khHsSae91zHwuaTIvszln3kyrOdPyUYiGSvCI0j2ie8\"",
      "{\"secret\": \"secret\", \"time\": 2000000000000.1}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/hs256-float-exp-valid",
     "io.jwt.decode_verify",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjMwMDAuMiwiaXNzIjoieHh4In0.XUen7GtDmICV3O1ngsoO-"
      "tQrjrXtOgJI06oGW0nQSIM\"",
      "{\"secret\": \"secret\", \"time\": 2000000000000.1}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"exp\": 3000.2, \"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/hs256-float-exp-expired",
     "io.jwt.decode_verify",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjMwMDAuMiwiaXNzIjoieHh4In0.XUen7GtDmICV3O1ngsoO-"
      "tQrjrXtOgJI06oGW0nQSIM\"",
      "{\"secret\": \"secret\", \"time\": 4000000000000.1}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/hs256-float-nbf-one-tenth-second-before",
     "io.jwt.decode_verify",
     {S36, "{\"secret\": \"secret\", \"time\": 1589385770023400000}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/hs256-float-nbf-equal",
     "io.jwt.decode_verify",
     {S36, "{\"secret\": \"secret\", \"time\": 1589385770123400000}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\", \"nbf\": 1589385770.1234}]"},
    {"jwtdecodeverify/hs256-float-one-millisecond-after-nbf",
     "io.jwt.decode_verify",
     {S36, "{\"secret\": \"secret\", \"time\": 1589385770124400000}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\", \"nbf\": 1589385770.1234}]"},
    {"jwtdecodeverify/hs256-float-one-tenth-second-after-nbf",
     "io.jwt.decode_verify",
     {S36, "{\"secret\": \"secret\", \"time\": 1589385770223400000}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\", \"nbf\": 1589385770.1234}]"},
    {"jwtdecodeverify/hs256-float-one-second-after-nbf",
     "io.jwt.decode_verify",
     {S36, "{\"secret\": \"secret\", \"time\": 1589385771123400000}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"iss\": \"xxx\", \"nbf\": 1589385770.1234}]"},
    {"jwtdecodeverify/hs256-float-one-second-before-exp",
     "io.jwt.decode_verify",
     {S37, "{\"secret\": \"secret\", \"time\": 1589385770123400000}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"exp\": 1589385771.1234, \"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/hs256-float-one-tenth-second-before-exp",
     "io.jwt.decode_verify",
     {S37, "{\"secret\": \"secret\", \"time\": 1589385771023400000}", NULL},
     CK_EQ,
     "[true, {\"alg\": \"HS256\", \"typ\": \"JWT\"}, {\"exp\": 1589385771.1234, \"iss\": \"xxx\"}]"},
    {"jwtdecodeverify/hs256-float-equal-exp",
     "io.jwt.decode_verify",
     {S37, "{\"secret\": \"secret\", \"time\": 1589385771123400000}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/hs256-float-one-tenth-second-after-exp",
     "io.jwt.decode_verify",
     {S37, "{\"secret\": \"secret\", \"time\": 1589385771223400000}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/hs256-float-one-second-after-exp",
     "io.jwt.decode_verify",
     {S37, "{\"secret\": \"secret\", \"time\": 1589385772123400000}", NULL},
     CK_EQ,
     "[false, {}, {}]"},
    {"jwtdecodeverify/EdDSA",
     "io.jwt.decode_verify",
     {S38,
      "{\"cert\": \"-----BEGIN PUBLIC "
      "KEY-----\\nMCowBQYDK2VwAyEAwmK6SSAu2E9V7uynkCKEaj5nZJyTvNG4x0KohsRzLpg=\\n-----END PUBLIC "
      "KEY-----\\n\"}",
      NULL},
     CK_EQ,
     "[true, {\"alg\": \"EdDSA\", \"typ\": \"JWT\"}, {\"admin\": true, \"iat\": 1516239022, \"name\": \"John "
     "Doe\", \"sub\": \"1234567890\"}]"},
    {"jwtencodesign/https://tools.ietf.org/html/rfc7515#appendix-A.1",
     "io.jwt.encode_sign",
     {"{\"alg\": \"HS256\", \"typ\": \"JWT\"}",
      "{\"aud\": [\"bob\", \"saul\"], \"exp\": 1300819380, \"http://example.com/is_root\": true, \"iss\": "
      "\"joe\", \"privateParams\": {\"private_one\": \"one\", \"private_two\": \"two\"}}",
      "{\"k\": \"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\", "
      "\"kty\": \"oct\"}"},
     CK_EQ,
     S39},
    {"jwtencodesign/Empty JSON payload",
     "io.jwt.encode_sign",
     {"{\"alg\": \"HS256\", \"typ\": \"JWT\"}", "{}",
      "{\"k\": \"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\", "
      "\"kty\": \"oct\"}"},
     CK_EQ,
     "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.6cvao8lnOu6FAdK68jQFcDMXOmaWNwWiYhCgijd-AD8\""},
    {"jwtencodesign/https://tools.ietf.org/html/rfc7515#appendix-A.2",
     "io.jwt.encode_sign",
     {"{\"alg\": \"RS256\"}",
      "{\"aud\": [\"bob\", \"saul\"], \"exp\": 1300819380, \"http://example.com/is_root\": true, \"iss\": "
      "\"joe\", \"privateParams\": {\"private_one\": \"one\", \"private_two\": \"two\"}}",
      "{\"d\": " S40 ", \"dp\": " S41 ", \"dq\": " S42 ", \"e\": \"AQAB\", \"kty\": \"RSA\", \"n\": " S43
      ", \"p\": " S44 ", \"q\": " S45 ", \"qi\": " S46 "}"},
     CK_EQ,
     S47},
    {"jwtencodesign/EdDSA",
     "io.jwt.encode_sign",
     {"{\"alg\": \"EdDSA\", \"typ\": \"JWT\"}",
      "{\"aud\": [\"bob\", \"saul\"], \"exp\": 1300819380, \"http://example.com/is_root\": true, \"iss\": "
      "\"joe\", \"privateParams\": {\"private_one\": \"one\", \"private_two\": \"two\"}}",
      "{\"kty\": \"OKP\", \"alg\": \"EdDSA\", \"crv\": \"Ed25519\", \"x\": "
      "\"wEZFfoAj1rFKTLOOmjJjVZlCHwksuvMb2I5y_hg70E8\", \"d\": "
      "\"9XI34uQzYUJfWhDZf_0nYsLMBRVu8a6dFsy60P8uugk\"}"},
     CK_EQ,
     S48},
    {"jwtencodesignheadererrors/Unknown signature algorithm",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"typ:\\\"JWT\\\",\\r\\n \\\"alg\\\":\\\"HS256\\\"}\"",
      "\"{\\\"iss\\\":\\\"joe\\\",\\r\\n \\\"exp\\\":1300819380,\\r\\n "
      "\\\"http://example.com/is_root\\\":true}\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_ERR,
     "missing or invalid 'alg' header: cannot parse JSON"},
    {"jwtencodesignheadererrors/unknown signature algorithm",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"alg\\\":\\\"dummy\\\"}\"",
      "\"{\\\"iss\\\":\\\"joe\\\",\\r\\n \\\"exp\\\":1300819380,\\r\\n "
      "\\\"http://example.com/is_root\\\":true}\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_ERR,
     "unknown JWS algorithm: dummy"},
    {"jwtencodesignheadererrors/Empty JSON header Error",
     "io.jwt.encode_sign_raw",
     {"\"{}\"",
      "\"{\\\"iss\\\":\\\"joe\\\",\\r\\n \\\"exp\\\":1300819380,\\r\\n "
      "\\\"http://example.com/is_root\\\":true}\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_ERR,
     "missing or invalid 'alg' header: jwsbb: header \"alg\" not found"},
    {"jwtencodesignheadererrors/Empty headers input error",
     "io.jwt.encode_sign_raw",
     {"\"\"",
      "\"{\\\"iss\\\":\\\"joe\\\",\\r\\n \\\"exp\\\":1300819380,\\r\\n "
      "\\\"http://example.com/is_root\\\":true}\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_ERR,
     "missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string"},
    {"jwtencodesignheadererrors/No JSON Error",
     "io.jwt.encode_sign_raw",
     {"\"e\"",
      "\"{\\\"iss\\\":\\\"joe\\\",\\r\\n \\\"exp\\\":1300819380,\\r\\n "
      "\\\"http://example.com/is_root\\\":true}\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_ERR,
     "missing or invalid 'alg' header: jwsbb: header \"alg\" not found"},
    {"jwtencodesignpayloaderrors/No Payload",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"typ\\\":\\\"JWT\\\",\\r\\n \\\"alg\\\":\\\"HS256\\\"}\"", "\"\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_ERR,
     "type is JWT but payload is not JSON"},
    {"jwtencodesignpayloaderrors/Payload JSON Error",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"typ\\\":\\\"JWT\\\",\\r\\n \\\"alg\\\":\\\"HS256\\\"}\"",
      "\"{\\\"iss:\\\"joe\\\",\\r\\n \\\"exp\\\":1300819380,\\r\\n "
      "\\\"http://example.com/is_root\\\":true}\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_ERR,
     "type is JWT but payload is not JSON"},
    {"jwtencodesignpayloaderrors/Non JSON Error",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"typ\\\":\\\"JWT\\\",\\r\\n \\\"alg\\\":\\\"HS256\\\"}\"", "\"e\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_ERR,
     "type is JWT but payload is not JSON"},
    {"jwtencodesignraw/https://tools.ietf.org/html/rfc7515#appendix-A.1",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"typ\\\":\\\"JWT\\\",\\r\\n \\\"alg\\\":\\\"HS256\\\"}\"",
      "\"{\\\"iss\\\":\\\"joe\\\",\\r\\n \\\"exp\\\":1300819380,\\r\\n "
      "\\\"http://example.com/is_root\\\":true}\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_EQ,
     S49},
    {"jwtencodesignraw/No Payload but Media Type is Plain",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"typ\\\":\\\"text/plain\\\",\\r\\n \\\"alg\\\":\\\"HS256\\\"}\"", "\"\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_EQ,
     "\"eyJ0eXAiOiJ0ZXh0L3BsYWluIiwNCiAiYWxnIjoiSFMyNTYifQ..sXoGQMWwM-SmX495-htA7kndgbkwz1PnqsDeY275gnI\""},
    {"jwtencodesignraw/text/plain media type",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"typ\\\":\\\"text/plain\\\",\\r\\n \\\"alg\\\":\\\"HS256\\\"}\"", "\"e\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_EQ,
     "\"eyJ0eXAiOiJ0ZXh0L3BsYWluIiwNCiAiYWxnIjoiSFMyNTYifQ.ZQ.oO8Vnc4Jv7-J231a1bEcQrgXfKbNW-kEvVY7BP1v5rM\""},
    {"jwtencodesignraw/Empty JSON payload",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"typ\\\":\\\"JWT\\\",\\r\\n \\\"alg\\\":\\\"HS256\\\"}\"", "\"{}\"",
      "\"{\\n\\\"kty\\\":\\\"oct\\\",\\n\\\"k\\\":\\\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
      "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\\\"\\n}\""},
     CK_EQ,
     "\"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.e30.KAml6HRetE0sq22SYNh_CQExhf-X31ChYTfGwUBIWu8\""},
    {"jwtencodesignraw/https://tools.ietf.org/html/rfc7515#appendix-A.2",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"alg\\\":\\\"RS256\\\"}\"",
      "\"{\\\"iss\\\":\\\"joe\\\",\\r\\n \\\"exp\\\":1300819380,\\r\\n "
      "\\\"http://example.com/is_root\\\":true}\"",
      S50},
     CK_EQ,
     S51},
    {"jwtencodesignraw/EdDSA",
     "io.jwt.encode_sign_raw",
     {"\"{\\\"alg\\\":\\\"EdDSA\\\",\\\"typ\\\":\\\"JWT\\\"}\"",
      "\"{\\\"iss\\\":\\\"joe\\\",\\\"exp\\\":1300819380,\\\"http://example.com/is_root\\\":true}\"", S52},
     CK_EQ,
     S53},
    {"jwtverifyeddsa/success-cert",
     "io.jwt.verify_eddsa",
     {S38,
      "\"-----BEGIN PUBLIC "
      "KEY-----\\nMCowBQYDK2VwAyEAwmK6SSAu2E9V7uynkCKEaj5nZJyTvNG4x0KohsRzLpg=\\n-----END PUBLIC KEY-----\"",
      NULL},
     CK_EQ,
     "true"},
    {"jwtverifyhs256/success", "io.jwt.verify_hs256", {S30, "\"secret\"", NULL}, CK_EQ, "true"},
    {"jwtverifyhs256/failure-bad token", "io.jwt.verify_hs256", {S54, "\"secret\"", NULL}, CK_EQ, "false"},
    {"jwtverifyhs256/failure-invalid token",
     "io.jwt.verify_hs256",
     {"\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJ1c2VyIjoiYWxpY2UiLCJhenAiOiJhbGljZSIsInN1Ym9yZGluYXRlcyI6W10sImhyIjpmYWxzZX0\"",
      "\"secret\"", NULL},
     CK_ERR,
     "encoded JWT must have 3 sections, found 2"},
    {"jwtverifyhs384/success", "io.jwt.verify_hs384", {S55, "\"secret\"", NULL}, CK_EQ, "true"},
    {"jwtverifyhs384/failure-bad token", "io.jwt.verify_hs384", {S56, "\"secret\"", NULL}, CK_EQ, "false"},
    {"jwtverifyhs384/failure-invalid token",
     "io.jwt.verify_hs384",
     {"\"eyJhbGciOiJIUzM4NCJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0\"", "\"secret\"", NULL},
     CK_ERR,
     "encoded JWT must have 3 sections, found 2"},
    {"jwtverifyhs512/success", "io.jwt.verify_hs512", {S57, "\"secret\"", NULL}, CK_EQ, "true"},
    {"jwtverifyhs512/failure-bad token", "io.jwt.verify_hs512", {S58, "\"secret\"", NULL}, CK_EQ, "false"},
    {"jwtverifyhs512/failure-invalid token",
     "io.jwt.verify_hs512",
     {"\"eyJhbGciOiJIUzUxMiJ9.eyJTY29wZXMiOlsiZm9vIiwiYmFyIl0sIm5iZiI6MTQ1MTYwNjQwMH0\"", "\"secret\"", NULL},
     CK_ERR,
     "encoded JWT must have 3 sections, found 2"},
    {"jwtverifyrsa/success-cert", "io.jwt.verify_rs256", {S59, S21, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-cert", "io.jwt.verify_rs256", {S59, S60, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-jwk", "io.jwt.verify_rs256", {S59, S61, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-ps256-cert", "io.jwt.verify_ps256", {S62, S20, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-ps256-jwk", "io.jwt.verify_ps256", {S62, S63, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-es256-cert", "io.jwt.verify_es256", {S64, S29, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-es256-jwk", "io.jwt.verify_es256", {S64, S65, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/failure-bad token", "io.jwt.verify_rs256", {S66, S21, NULL}, CK_EQ, "false"},
    {"jwtverifyrsa/failure-wrong key", "io.jwt.verify_ps256", {S62, S21, NULL}, CK_EQ, "false"},
    {"jwtverifyrsa/failure-wrong alg", "io.jwt.verify_ps256", {S59, S21, NULL}, CK_EQ, "false"},
    {"jwtverifyrsa/failure-invalid token",
     "io.jwt.verify_rs256",
     {"\"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJmb28iOiJiYXIiLCJuYmYiOjE0NDQ0Nzg0MDB9\"", S21, NULL},
     CK_ERR,
     "encoded JWT must have 3 sections, found 2"},
    {"jwtverifyrsa/failure-bad pem certificate block",
     "io.jwt.verify_rs256",
     {S59, S67, NULL},
     CK_ERR,
     "failed to extract a Key from the PEM certificate"},
    {"jwtverifyrsa/failure-extra data after pem certificate block",
     "io.jwt.verify_rs256",
     {S59, S68, NULL},
     CK_ERR,
     "extra data after a PEM certificate block"},
    {"jwtverifyrsa/failure-bad pem certificate",
     "io.jwt.verify_rs256",
     {S59, S69, NULL},
     CK_ERR,
     "failed to parse a PEM certificate"},
    {"jwtverifyrsa/failure-bad jwk key",
     "io.jwt.verify_rs256",
     {S59, S70, NULL},
     CK_ERR,
     "failed to parse a JWK key (set)"},
    {"jwtverifyrsa/success-cert", "io.jwt.verify_rs384", {S71, S72, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-key", "io.jwt.verify_rs384", {S71, S73, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-jwk", "io.jwt.verify_rs384", {S71, S74, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/failure-wrong key", "io.jwt.verify_rs384", {S71, S21, NULL}, CK_EQ, "false"},
    {"jwtverifyrsa/success-cert", "io.jwt.verify_rs512", {S75, S72, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-key", "io.jwt.verify_rs512", {S75, S73, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-jwk", "io.jwt.verify_rs512", {S75, S74, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/failure-wrong key", "io.jwt.verify_rs512", {S75, S21, NULL}, CK_EQ, "false"},
    {"jwtverifyrsa/success-ps384-cert", "io.jwt.verify_ps384", {S76, S77, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-ps384-key", "io.jwt.verify_ps384", {S76, S78, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-ps384-jwk", "io.jwt.verify_ps384", {S76, S79, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/failure-ps384-wrong key", "io.jwt.verify_ps384", {S76, S21, NULL}, CK_EQ, "false"},
    {"jwtverifyrsa/success-ps512-cert", "io.jwt.verify_ps512", {S80, S77, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-ps512-key", "io.jwt.verify_ps512", {S80, S78, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-ps512-jwk", "io.jwt.verify_ps512", {S80, S79, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/failure-wrong key", "io.jwt.verify_ps512", {S80, S21, NULL}, CK_EQ, "false"},
    {"jwtverifyrsa/success-es384-cert", "io.jwt.verify_es384", {S81, S82, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-es384-key", "io.jwt.verify_es384", {S81, S83, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-es384-jwk", "io.jwt.verify_es384", {S81, S84, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/failure-wrong key", "io.jwt.verify_es384", {S81, S21, NULL}, CK_EQ, "false"},
    {"jwtverifyrsa/success-es512-cert", "io.jwt.verify_es512", {S85, S86, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-es512-key", "io.jwt.verify_es512", {S85, S87, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/success-es512-jwk", "io.jwt.verify_es512", {S85, S88, NULL}, CK_EQ, "true"},
    {"jwtverifyrsa/failure-wrong key", "io.jwt.verify_es512", {S85, S21, NULL}, CK_EQ, "false"},
    {"cryptoparseprivatekey/valid", "crypto.parse_private_keys", {S5, NULL, NULL}, CK_COUNT, "1"},
    {"cryptoparseprivatekey/invalid", "crypto.parse_private_keys", {"\"nope\"", NULL, NULL}, CK_EQ, "[]"},
    {"cryptoparseprivatekey/invalid", "crypto.parse_private_keys", {"\"\"", NULL, NULL}, CK_EQ, "null"},
    {"cryptox509parseandverifycertificates/base_case",
     "crypto.x509.parse_and_verify_certificates",
     {S89, NULL, NULL},
     CK_VERIFY,
     "{\"certs\": [{\"CN\": \"notarealsite.opa.localhost\", \"DNS\": [\"notarealsite.opa.localhost\"], "
     "\"URI\": null}, {\"CN\": \"OPA Test Intermediate CA\", \"DNS\": null, \"URI\": null}, {\"CN\": \"OPA "
     "Test Root CA\", \"DNS\": null, \"URI\": null}], \"valid\": true}"},
    {"cryptox509parseandverifycertificates/uri_strings",
     "crypto.x509.parse_and_verify_certificates",
     {S90, NULL, NULL},
     CK_VERIFY,
     "{\"certs\": [{\"CN\": \"\", \"DNS\": null, \"URI\": [\"spiffe://example.com/opa\"]}, {\"CN\": \"\", "
     "\"DNS\": null, \"URI\": [\"spiffe://example.com\"]}], \"valid\": true}"},
    {"cryptox509parsecertificates/DER, single cert, b64",
     "crypto.x509.parse_certificates",
     {S91, NULL, NULL},
     CK_CN,
     "[\"mail.google.com\"]"},
    {"cryptox509parsecertificates/DER, chain, b64",
     "crypto.x509.parse_certificates",
     {S92, NULL, NULL},
     CK_CN,
     "[\"mail.google.com\", \"Thawte SGC CA\"]"},
    {"cryptox509parsecertificates/PEM, single cert, b64",
     "crypto.x509.parse_certificates",
     {S93, NULL, NULL},
     CK_CN,
     "[\"openpolicyagent.org\"]"},
    {"cryptox509parsecertificates/PEM, single cert, string",
     "crypto.x509.parse_certificates",
     {S94, NULL, NULL},
     CK_CN,
     "[\"openpolicyagent.org\"]"},
    {"cryptox509parsecertificates/PEM, chain, b64",
     "crypto.x509.parse_certificates",
     {S95, NULL, NULL},
     CK_CN,
     "[\"openpolicyagent.org\", \"Let's Encrypt Authority X3\", \"DST Root CA X3\"]"},
    {"cryptox509parsecertificates/PEM, chain, string",
     "crypto.x509.parse_certificates",
     {S96, NULL, NULL},
     CK_CN,
     "[\"openpolicyagent.org\", \"Let's Encrypt Authority X3\", \"DST Root CA X3\"]"},
    {"cryptox509parsecertificates/invalid DER or PEM data, b64",
     "crypto.x509.parse_certificates",
     {"\"YmFkc3RyaW5n\"", NULL, NULL},
     CK_ERR,
     "x509: malformed certificate"},
    {"cryptox509parsecertificates/invalid DER or PEM data, string",
     "crypto.x509.parse_certificates",
     {"\"foobar\"", NULL, NULL},
     CK_ERR,
     "illegal base64"},
    {"cryptox509parsecertificates/uri_strings",
     "crypto.x509.parse_certificates",
     {S97, NULL, NULL},
     CK_URIS,
     "[\"spiffe://example.com/opa\"]"},
    {"cryptox509parsecertificates/uri_strings_no_uris",
     "crypto.x509.parse_certificates",
     {S98, NULL, NULL},
     CK_URIS,
     "null"},
    {"cryptoX509ParseKeyPairs/PEM_encoded_string_cert_and_key",
     "crypto.x509.parse_keypair",
     {S99, S100, NULL},
     CK_CERT0,
     S101},
    {"cryptoX509ParseKeyPairs/base64_encoded_string_cert_and_key",
     "crypto.x509.parse_keypair",
     {S102, S103, NULL},
     CK_CERT0,
     S104},
    {"providers-aws-sign_req/failure-simple-missing http request keys",
     "providers.aws.sign_req",
     {"{}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_session_token\": \"MYAWSSECURITYTOKENGOESHERE\", "
      "\"aws_service\": \"s3\", \"aws_region\": \"us-east-1\"}",
      "1451311705000000000"},
     CK_ERR,
     "providers.aws.sign_req: operand 1 missing required request parameters(s): {\"method\", \"url\"}"},
    {"providers-aws-sign_req/failure-simple-invalid type http request keys",
     "providers.aws.sign_req",
     {"{\"method\": [], \"url\": []}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_session_token\": \"MYAWSSECURITYTOKENGOESHERE\", "
      "\"aws_service\": \"s3\", \"aws_region\": \"us-east-1\"}",
      "1451311705000000000"},
     CK_ERR,
     "providers.aws.sign_req: operand 1 invalid values for required request parameters(s): {\"method\", "
     "\"url\"}"},
    {"providers-aws-sign_req/failure-simple-missing aws keys",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"http://example.com\"}", "{\"example\": \"example\"}",
      "1451311705000000000"},
     CK_ERR,
     "providers.aws.sign_req: operand 2 missing required AWS config parameters(s): {\"aws_access_key\", "
     "\"aws_region\", \"aws_secret_access_key\", \"aws_service\"}"},
    {"providers-aws-sign_req/failure-simple-invalid type aws keys",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"http://example.com\"}",
      "{\"aws_access_key\": 1, \"aws_secret_access_key\": 2, \"aws_session_token\": 3, \"aws_service\": 4, "
      "\"aws_region\": 5}",
      "1451311705000000000"},
     CK_ERR,
     "providers.aws.sign_req: operand 2 invalid values for required AWS config parameters(s): "
     "{\"aws_access_key\", \"aws_region\", \"aws_secret_access_key\", \"aws_service\"}"},
    {"providers-aws-sign_req/failure-simple-bad timestamp",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"http://example.com\"}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_session_token\": \"MYAWSSECURITYTOKENGOESHERE\", "
      "\"aws_service\": \"s3\", \"aws_region\": \"us-east-1\"}",
      "-1000000000.0"},
     CK_ERR,
     "providers.aws.sign_req: operand 3 could not convert time_ns value into a unix timestamp"},
    {"providers-aws-sign_req/failure-simple-bad-type-payload-signing-config",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"https://example.com\", \"headers\": {\"foo\": \"bar\"}}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\", "
      "\"disable_payload_signing\": \"false\"}",
      "1451311705000000000"},
     CK_ERR,
     "providers.aws.sign_req: operand 2 invalid value for 'disable_payload_signing' in AWS config"},
    {"providers-aws-sign_req/success-simple-no body",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"http://example.com\"}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\"}",
      "1451311705000000000"},
     CK_EQ,
     "{\"headers\": {\"Authorization\": " S105
     ", \"host\": \"example.com\", \"x-amz-content-sha256\": "
     "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"x-amz-date\": "
     "\"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"http://example.com\"}"},
    {"providers-aws-sign_req/success-simple-with headers no body",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"http://example.com\", \"headers\": {\"foo\": \"bar\"}}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\"}",
      "1451311705000000000"},
     CK_EQ,
     "{\"headers\": {\"Authorization\": " S106
     ", \"host\": \"example.com\", \"x-amz-content-sha256\": "
     "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"x-amz-date\": "
     "\"20151228T140825Z\", \"foo\": \"bar\"}, \"method\": \"get\", \"url\": \"http://example.com\"}"},
    {"providers-aws-sign_req/success-simple-no body-with session token",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"http://example.com\"}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_session_token\": \"MYAWSSECURITYTOKENGOESHERE\", "
      "\"aws_service\": \"s3\", \"aws_region\": \"us-east-1\"}",
      "1451311705000000000"},
     CK_EQ,
     "{\"headers\": {\"Authorization\": " S107
     ", \"host\": \"example.com\", \"x-amz-content-sha256\": "
     "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"x-amz-date\": "
     "\"20151228T140825Z\", \"x-amz-security-token\": \"MYAWSSECURITYTOKENGOESHERE\"}, \"method\": \"get\", "
     "\"url\": \"http://example.com\"}"},
    {"providers-aws-sign_req/success-simple-body",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"http://example.com\", \"body\": {\"example\": [1, 2, 3, 4]}}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\"}",
      "1451311705000000000"},
     CK_EQ,
     "{\"body\": {\"example\": [1, 2, 3, 4]}, \"headers\": {\"Authorization\": " S108
     ", \"host\": \"example.com\", \"x-amz-content-sha256\": "
     "\"bacff6243c850423883052ac3c336fd645994442933408dfd3f9e858e69bda07\", \"x-amz-date\": "
     "\"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"http://example.com\"}"},
    {"providers-aws-sign_req/success-simple-raw_body",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"http://example.com\", \"raw_body\": \"{\\\"example\\\": {1, 2, 3, "
      "4}}\"}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\"}",
      "1451311705000000000"},
     CK_EQ,
     "{\"headers\": {\"Authorization\": " S109
     ", \"host\": \"example.com\", \"x-amz-content-sha256\": "
     "\"22906461e2a98a3e780d0fd260e341bed5e544661e97c5936fc7f3af11aaad8b\", \"x-amz-date\": "
     "\"20151228T140825Z\"}, \"method\": \"get\", \"raw_body\": \"{\\\"example\\\": {1, 2, 3, 4}}\", "
     "\"url\": \"http://example.com\"}"},
    {"providers-aws-sign_req/success-simple-body-and-raw_body",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"http://example.com\", \"body\": {\"example\": [1, 2, 3, 4]}, "
      "\"raw_body\": \"{\\\"example\\\": {1, 2, 3, 4}}\"}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\"}",
      "1451311705000000000"},
     CK_EQ,
     "{\"body\": {\"example\": [1, 2, 3, 4]}, \"headers\": {\"Authorization\": " S109
     ", \"host\": \"example.com\", \"x-amz-content-sha256\": "
     "\"22906461e2a98a3e780d0fd260e341bed5e544661e97c5936fc7f3af11aaad8b\", \"x-amz-date\": "
     "\"20151228T140825Z\"}, \"method\": \"get\", \"raw_body\": \"{\\\"example\\\": {1, 2, 3, 4}}\", "
     "\"url\": \"http://example.com\"}"},
    {"providers-aws-sign_req/success-simple-with-headers-no-body-with-payload-signing",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"https://example.com\", \"headers\": {\"foo\": \"bar\"}}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\", "
      "\"disable_payload_signing\": false}",
      "1451311705000000000"},
     CK_EQ,
     "{\"headers\": {\"Authorization\": " S106
     ", \"foo\": \"bar\", \"host\": \"example.com\", \"x-amz-content-sha256\": "
     "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\", \"x-amz-date\": "
     "\"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"https://example.com\"}"},
    {"providers-aws-sign_req/success-simple-with-headers-no-body-no-payload-signing",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"https://example.com\", \"headers\": {\"foo\": \"bar\"}}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\", "
      "\"disable_payload_signing\": true}",
      "1451311705000000000"},
     CK_EQ,
     "{\"headers\": {\"Authorization\": " S110
     ", \"foo\": \"bar\", \"host\": \"example.com\", \"x-amz-content-sha256\": \"UNSIGNED-PAYLOAD\", "
     "\"x-amz-date\": \"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"https://example.com\"}"},
    {"providers-aws-sign_req/success-simple-with-headers-with-body-with-payload-signing",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"https://example.com\", \"headers\": {\"foo\": \"bar\"}, \"body\": "
      "{\"example\": [1, 2, 3, 4]}}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\", "
      "\"disable_payload_signing\": false}",
      "1451311705000000000"},
     CK_EQ,
     "{\"body\": {\"example\": [1, 2, 3, 4]}, \"headers\": {\"Authorization\": " S111
     ", \"foo\": \"bar\", \"host\": \"example.com\", \"x-amz-content-sha256\": "
     "\"bacff6243c850423883052ac3c336fd645994442933408dfd3f9e858e69bda07\", \"x-amz-date\": "
     "\"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"https://example.com\"}"},
    {"providers-aws-sign_req/success-simple-with-headers-with-body-no-payload-signing",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"https://example.com\", \"headers\": {\"foo\": \"bar\"}, \"body\": "
      "{\"example\": [1, 2, 3, 4]}}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\", "
      "\"disable_payload_signing\": true}",
      "1451311705000000000"},
     CK_EQ,
     "{\"body\": {\"example\": [1, 2, 3, 4]}, \"headers\": {\"Authorization\": " S110
     ", \"foo\": \"bar\", \"host\": \"example.com\", \"x-amz-content-sha256\": \"UNSIGNED-PAYLOAD\", "
     "\"x-amz-date\": \"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"https://example.com\"}"},
    {"providers-aws-sign_req/success-simple-with-existing-sha-header-with-body-with-payload-signing",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"https://example.com\", \"headers\": {\"foo\": \"bar\", "
      "\"x-amz-content-sha256\": \"existing-value\"}, \"body\": {\"example\": [1, 2, 3, 4]}}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\", "
      "\"disable_payload_signing\": false}",
      "1451311705000000000"},
     CK_EQ,
     "{\"body\": {\"example\": [1, 2, 3, 4]}, \"headers\": {\"Authorization\": " S112
     ", \"foo\": \"bar\", \"host\": \"example.com\", \"x-amz-content-sha256\": "
     "\"bacff6243c850423883052ac3c336fd645994442933408dfd3f9e858e69bda07\", \"x-amz-date\": "
     "\"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"https://example.com\"}"},
    {"providers-aws-sign_req/success-simple-with-existing-sha-header-with-body-no-payload-signing",
     "providers.aws.sign_req",
     {"{\"method\": \"get\", \"url\": \"https://example.com\", \"headers\": {\"foo\": \"bar\", "
      "\"x-amz-content-sha256\": \"existing-value\"}, \"body\": {\"example\": [1, 2, 3, 4]}}",
      "{\"aws_access_key\": \"MYAWSACCESSKEYGOESHERE\", \"aws_secret_access_key\": "
      "\"MYAWSSECRETACCESSKEYGOESHERE\", \"aws_service\": \"s3\", \"aws_region\": \"us-east-1\", "
      "\"disable_payload_signing\": true}",
      "1451311705000000000"},
     CK_EQ,
     "{\"body\": {\"example\": [1, 2, 3, 4]}, \"headers\": {\"Authorization\": " S113
     ", \"foo\": \"bar\", \"host\": \"example.com\", \"x-amz-content-sha256\": \"UNSIGNED-PAYLOAD\", "
     "\"x-amz-date\": \"20151228T140825Z\"}, \"method\": \"get\", \"url\": \"https://example.com\"}"},
};
// clang-format on

static const conf_case *find_case(const char *note)
{
    for (size_t i = 0; i < sizeof conf_cases / sizeof conf_cases[0]; i++) {
        if (strcmp(conf_cases[i].note, note) == 0)
            return &conf_cases[i];
    }
    fprintf(stderr, "no case %s\n", note);
    return NULL;
}

static bool check_case(const conf_case *c)
{
    const val *args[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3 && c->args[i]; i++) {
        if (!(args[i] = J(c->args[i])))
            return false;
    }
    const val *out;
    bi_status st = call(c->name, args, &out);
    if (c->kind == CK_ERR) {
        if (st == BI_ERR && strstr(C.err_msg, c->want))
            return true;
        fprintf(stderr, "  %s: want error containing \"%s\", got status %d \"%s\" %s\n", c->note, c->want, st,
                C.err_msg, show(out));
        return false;
    }
    if (st != BI_OK) {
        fprintf(stderr, "  %s: unexpected error %s\n", c->note, C.err_msg);
        return false;
    }
    const val *want = J(c->want), *got = out;
    vbuild b;
    vb_init(&b, &A);
    switch (c->kind) {
    case CK_CN:
        if (out->type == V_OBJ) { /* a CSR */
            got = get(get(out, "Subject"), "CommonName");
            break;
        }
        for (uint32_t i = 0; i < out->len; i++)
            vb_push(&b, get(get(out->u.a[i], "Subject"), "CommonName"));
        got = vb_finish_array(&b);
        break;
    case CK_URIS: got = out->len ? get(out->u.a[0], "URIStrings") : NULL; break;
    case CK_VERIFY: {
        const val *certs = out->u.a[1];
        for (uint32_t i = 0; i < certs->len; i++) {
            vbuild o;
            vb_init(&o, &A);
            vb_put(&o, v_cstr(&A, "CN"), get(get(certs->u.a[i], "Subject"), "CommonName"));
            vb_put(&o, v_cstr(&A, "DNS"), get(certs->u.a[i], "DNSNames"));
            vb_put(&o, v_cstr(&A, "URI"), get(certs->u.a[i], "URIStrings"));
            vb_push(&b, vb_finish_object(&o, NULL));
        }
        vbuild r;
        vb_init(&r, &A);
        vb_put(&r, v_cstr(&A, "valid"), out->u.a[0]);
        vb_put(&r, v_cstr(&A, "certs"), vb_finish_array(&b));
        got = vb_finish_object(&r, NULL);
        break;
    }
    case CK_CERT0: {
        const val *chain = get(out, "Certificate");
        got = chain && chain->len ? chain->u.a[0] : NULL;
        break;
    }
    case CK_COUNT: got = v_int(&A, out->type == V_ARR ? (int64_t)out->len : -1); break;
    default: break;
    }
    if (got && want && val_equal(got, want))
        return true;
    fprintf(stderr, "  %s: got %s\n", c->note, show(got));
    fprintf(stderr, "  %*s  want %s\n", (int)strlen(c->note), "", c->want);
    return false;
}

static void test_conformance_rows(void)
{
    for (size_t i = 0; i < sizeof conf_cases / sizeof conf_cases[0]; i++) {
        arena_mark m = arena_save(&A);
        CHECK(check_case(&conf_cases[i]));
        arena_restore(&A, m);
    }
}

/* Calls name with JSON operands; NULL on failure (C.err_* describe it). */
static const val *callj(const char *name, const char *a0, const char *a1, const char *a2)
{
    const val *args[3] = {a0 ? J(a0) : NULL, a1 ? J(a1) : NULL, a2 ? J(a2) : NULL};
    const val *out;
    return call(name, args, &out) == BI_OK ? out : NULL;
}

static bool is_json(const val *v, const char *json)
{
    const val *w = J(json);
    if (v && w && val_equal(v, w))
        return true;
    fprintf(stderr, "  got  %s\n  want %s\n", show(v), json);
    return false;
}

static bool err_is(pol_status code, const char *text)
{
    if (C.err_code == code && strstr(C.err_msg, text))
        return true;
    fprintf(stderr, "  error %d \"%s\", want %d containing \"%s\"\n", C.err_code, C.err_msg, code, text);
    return false;
}

static void test_type_errors(void)
{
    CHECK(!callj("crypto.md5", "1", NULL, NULL));
    CHECK(err_is(POL_EVAL_TYPE, "crypto.md5: operand 1 must be string but got number"));
    CHECK(!callj("crypto.hmac.sha256", "\"x\"", "[]", NULL));
    CHECK(err_is(POL_EVAL_TYPE, "crypto.hmac.sha256: operand 2 must be string but got array"));
    CHECK(!callj("crypto.hmac.equal", "null", "\"x\"", NULL));
    CHECK(err_is(POL_EVAL_TYPE, "crypto.hmac.equal: operand 1 must be string but got null"));
    CHECK(!callj("io.jwt.decode", "1", NULL, NULL));
    CHECK(err_is(POL_EVAL_TYPE, "io.jwt.decode: operand 1 must be string but got number"));
    CHECK(!callj("io.jwt.verify_rs256", "\"a.b.c\"", "{}", NULL));
    CHECK(err_is(POL_EVAL_TYPE, "io.jwt.verify_rs256: operand 2 must be string but got object"));
    CHECK(!callj("io.jwt.verify_hs256", "\"a.b.c\"", "true", NULL));
    CHECK(err_is(POL_EVAL_TYPE, "io.jwt.verify_hs256: operand 2 must be string but got boolean"));
    CHECK(!callj("io.jwt.decode_verify", "\"a.b.c\"", "\"secret\"", NULL));
    CHECK(err_is(POL_EVAL_TYPE, "io.jwt.decode_verify: operand 2 must be object but got string"));
    CHECK(!callj("io.jwt.encode_sign_raw", "\"{}\"", "\"{}\"", "{}"));
    CHECK(err_is(POL_EVAL_TYPE, "io.jwt.encode_sign_raw: operand 3 must be string but got object"));
    CHECK(!callj("providers.aws.sign_req", "\"x\"", "{}", "1"));
    CHECK(err_is(POL_EVAL_TYPE, "providers.aws.sign_req: operand 1 must be object but got string"));
    CHECK(!callj("crypto.x509.parse_certificates", "[]", NULL, NULL));
    CHECK(err_is(POL_EVAL_TYPE, "crypto.x509.parse_certificates: operand 1 must be string but got array"));
}

static void test_digests(void)
{
    /* Well-known digests of the empty string (RFC 1321, FIPS 180). */
    CHECK(is_json(callj("crypto.md5", "\"\"", NULL, NULL), "\"d41d8cd98f00b204e9800998ecf8427e\""));
    CHECK(is_json(callj("crypto.sha1", "\"\"", NULL, NULL), "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\""));
    CHECK(is_json(callj("crypto.sha256", "\"abc\"", NULL, NULL),
                  "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\""));
    /* HMAC with an empty key and message (Wikipedia's HMAC examples). */
    CHECK(is_json(callj("crypto.hmac.sha256", "\"\"", "\"\"", NULL),
                  "\"b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad\""));
    CHECK(is_json(callj("crypto.hmac.md5", "\"\"", "\"\"", NULL), "\"74e6f7298a9c2d168935f58c001bad88\""));
    CHECK(is_json(callj("crypto.hmac.equal", "\"\"", "\"\"", NULL), "true"));
    CHECK(is_json(callj("crypto.hmac.equal", "\"abc\"", "\"abd\"", NULL), "false"));
}

static void test_base64_errors(void)
{
    /* Go's decoder reports where a padded quantum went wrong. */
    CHECK(!callj("crypto.x509.parse_certificates", "\"foobar\"", NULL, NULL));
    CHECK(err_is(POL_EVAL_BUILTIN, "illegal base64 data at input byte 4"));
    CHECK(!callj("crypto.x509.parse_rsa_private_key", "\"invalid\"", NULL, NULL));
    CHECK(err_is(POL_EVAL_BUILTIN, "crypto.x509.parse_rsa_private_key: illegal base64 data at input byte 4"));
    CHECK(!callj("crypto.x509.parse_rsa_private_key", "\"\"", NULL, NULL));
    CHECK(err_is(POL_EVAL_BUILTIN, "input PEM data was empty"));
    /* base64url with length % 4 == 1 cannot be padded into shape. */
    CHECK(!callj("io.jwt.decode", "\"e.e30.\"", NULL, NULL));
    CHECK(err_is(POL_EVAL_BUILTIN, "JWT header had invalid encoding: illegal base64url string: e"));
    /* Header is valid base64url but not an object. */
    CHECK(!callj("io.jwt.decode", "\"WzFd.e30.\"", NULL, NULL));
    CHECK(err_is(POL_EVAL_BUILTIN, "bad JWT header: decoded JSON type is not an object"));
    /* An empty signature is fine: hex "" (header {"alg":"none"}, payload {}). */
    CHECK(is_json(callj("io.jwt.decode", "\"eyJhbGciOiJub25lIn0.e30.\"", NULL, NULL),
                  "[{\"alg\":\"none\"},{},\"\"]"));
}

/* {"kty":"oct","k":base64url("42")} */
#define KEY42 "{\"kty\":\"oct\",\"k\":\"NDI\"}"

static const val *sign_hs256(const char *payload)
{
    return callj("io.jwt.encode_sign", "{\"alg\":\"HS256\"}", payload, KEY42);
}

static void test_decode_verify_more(void)
{
    const conf_case *expired = find_case("jwtdecodeverify/rs256-exp-expired");
    if (expired) {
        /* rs256-exp-now-explicit-expired: "time": time.now_ns() */
        char constraints[4096];
        const val *c = J(expired->args[1]);
        const val *cert = get(c, "cert");
        sbuf b;
        sb_init(&b, constraints, sizeof constraints);
        sb_puts(&b, "{\"cert\":");
        json_write(&b, cert, 0);
        sb_puts(&b, ",\"time\":1767225600000000000}");
        constraints[b.len < sizeof constraints ? b.len : 0] = '\0';
        CHECK(is_json(callj("io.jwt.decode_verify", expired->args[0], constraints, NULL), "[false,{},{}]"));
        /* And with the default clock (C.now_ns, also 2026): expired too. */
        sb_init(&b, constraints, sizeof constraints);
        sb_puts(&b, "{\"cert\":");
        json_write(&b, cert, 0);
        sb_puts(&b, "}");
        constraints[b.len < sizeof constraints ? b.len : 0] = '\0';
        CHECK(is_json(callj("io.jwt.decode_verify", expired->args[0], constraints, NULL), "[false,{},{}]"));
    }

    char tok[1024];
    const val *t = sign_hs256("{\"exp\":null}");
    CHECK(t != NULL);
    if (t) {
        snprintf(tok, sizeof tok, "\"%s\"", t->u.s);
        CHECK(!callj("io.jwt.decode_verify", tok, "{\"secret\":\"42\"}", NULL));
        CHECK(err_is(POL_EVAL_BUILTIN, "exp value must be a number"));
    }
    t = sign_hs256("{\"nbf\":\"string is not valid here\"}");
    if (t) {
        snprintf(tok, sizeof tok, "\"%s\"", t->u.s);
        CHECK(!callj("io.jwt.decode_verify", tok, "{\"secret\":\"42\"}", NULL));
        CHECK(err_is(POL_EVAL_BUILTIN, "nbf value must be a number"));
    }
    t = sign_hs256("{}");
    if (t) {
        snprintf(tok, sizeof tok, "\"%s\"", t->u.s);
        CHECK(is_json(callj("io.jwt.decode_verify", tok, "{\"secret\":\"42\",\"iss\":\"xxx\"}", NULL),
                      "[false,{},{}]"));
        CHECK(is_json(callj("io.jwt.decode_verify", tok, "{\"secret\":\"42\"}", NULL),
                      "[true,{\"alg\":\"HS256\"},{}]"));
        CHECK(!callj("io.jwt.decode_verify", tok, "{}", NULL));
        CHECK(err_is(POL_EVAL_BUILTIN, "io.jwt.decode_verify: no key constraint"));
        CHECK(!callj("io.jwt.decode_verify", tok,
                     "{\"secret\":\"42\",\"cert\":\""
                     "{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"NDI\\\"}\"}",
                     NULL));
        CHECK(err_is(POL_EVAL_BUILTIN, "duplicate key constraints"));
        CHECK(!callj("io.jwt.decode_verify", tok, "{\"secret\":\"42\",\"foo\":1}", NULL));
        CHECK(err_is(POL_EVAL_BUILTIN, "unknown token validation constraint: foo"));
        /* A JWK "oct" key given as cert verifies HS256 too. */
        CHECK(is_json(callj("io.jwt.decode_verify", tok,
                            "{\"cert\":\"{\\\"kty\\\":\\\"oct\\\",\\\"k\\\":\\\"NDI\\\"}\"}", NULL),
                      "[true,{\"alg\":\"HS256\"},{}]"));
    }
    /* Not yet valid at the default clock (nbf in 2100), valid at "time". */
    t = sign_hs256("{\"nbf\":4102444800}");
    if (t) {
        snprintf(tok, sizeof tok, "\"%s\"", t->u.s);
        CHECK(is_json(callj("io.jwt.decode_verify", tok, "{\"secret\":\"42\"}", NULL), "[false,{},{}]"));
        CHECK(is_json(
            callj("io.jwt.decode_verify", tok, "{\"secret\":\"42\",\"time\":4102444800000000001}", NULL),
            "[true,{\"alg\":\"HS256\"},{\"nbf\":4102444800}]"));
    }
}

/* The private scalar of RFC 7515 appendix A.3 with its public point
 * (computed independently: d*G on P-256 in Python). */
#define ES256_PRIV                                                                                           \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"z72aIx5meKbLwh-eJytljuu1eu4w6JMv-_oP4adl7NA\","               \
    "\"y\":\"F4WJ2E2HBPKDdBlfn22NRZltLVep3PktF3tBEe-m_R4\",\"d\":\"jpsQnnGQmL-"                              \
    "YBIffH1136cLCbDcnzofRHBs8GkU9-7M\"}"
#define ES256_PUB                                                                                            \
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"z72aIx5meKbLwh-eJytljuu1eu4w6JMv-_oP4adl7NA\","               \
    "\"y\":\"F4WJ2E2HBPKDdBlfn22NRZltLVep3PktF3tBEe-m_R4\"}"

static void test_encode_sign_more(void)
{
    /* jwtencodesign/plain integer timestamps: iat = 1.678e15 / 1e6. */
    CHECK(is_json(callj("io.jwt.encode_sign", "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                        "{\"iat\":1678000000,\"exp\":1678000300}",
                        "{\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-"
                        "1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow\","
                        "\"kty\":\"oct\"}"),
                  "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE2NzgwMDAzMDAsImlhdCI6MTY3ODAwMDAwMH0."
                  "ZNCOrxE5MNdrqzHmiQ7c3so0IvGqHddBZFWe3kBaQHg\""));

    /* jwtencodesign/set data: a set serialises as a sorted array. */
    vbuild sb;
    vb_init(&sb, &A);
    vb_push(&sb, v_cstr(&A, "saul"));
    vb_push(&sb, v_cstr(&A, "bob"));
    const val *aud = vb_finish_set(&sb);
    const val *payload = J("{\"exp\":1300819380,\"http://example.com/is_root\":true,\"iss\":\"joe\","
                           "\"privateParams\":{\"private_one\":\"one\",\"private_two\":\"two\"}}");
    vbuild pb;
    vb_init(&pb, &A);
    for (uint32_t i = 0; payload && i < payload->len; i++)
        vb_put(&pb, payload->u.o.k[i], payload->u.o.v[i]);
    vb_put(&pb, v_cstr(&A, "aud"), aud);
    const val *args[3] = {
        J("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"), vb_finish_object(&pb, NULL),
        J("{\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CA"
          "ow\",\"kty\":\"oct\"}")};
    const val *out;
    CHECK(
        call("io.jwt.encode_sign", args, &out) == BI_OK &&
        is_json(
            out,
            "\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
            "eyJhdWQiOlsiYm9iIiwic2F1bCJdLCJleHAiOjEzMDA4MTkzODAsImh0dH"
            "A6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlLCJpc3MiOiJqb2UiLCJwcml2YXRlUGFyYW1zIjp7InByaXZhdGVfb25lIj"
            "oib25lIiwicHJpdmF0ZV90d28iOiJ0d28ifX0.-Or2eol8bzly-Ztb0v7_7UkcKBkN_aNNpK33HK0MeOY\""));

    /* Go's json.Marshal escapes <, > and & in strings: the payload segment
     * is base64url of {"a":"\u003c\u0026\u003e"}. */
    const val *tok = sign_hs256("{\"a\":\"<&>\"}");
    CHECK(tok && strstr(tok->u.s, ".eyJhIjoiXHUwMDNjXHUwMDI2XHUwMDNlIn0.") != NULL);

    /* ES256 and PS256 signatures are randomised: check by verifying. */
    char quoted[4096];
    tok = callj("io.jwt.encode_sign_raw", "\"{\\\"alg\\\":\\\"ES256\\\"}\"", "\"{\\\"iss\\\":\\\"joe\\\"}\"",
                "\""
                "{\\\"kty\\\":\\\"EC\\\",\\\"crv\\\":\\\"P-256\\\",\\\"x\\\":\\\"z72aIx5meKbLwh-"
                "eJytljuu1eu4w6JMv-_oP4adl7NA\\\","
                "\\\"y\\\":\\\"F4WJ2E2HBPKDdBlfn22NRZltLVep3PktF3tBEe-m_R4\\\",\\\"d\\\":\\\"jpsQnnGQmL-"
                "YBIffH1136cLCbDcnzofRHBs8GkU9-7M\\\"}\"");
    CHECK(tok != NULL);
    if (tok) {
        snprintf(quoted, sizeof quoted, "\"%s\"", tok->u.s);
        /* P-256 signature: 64 bytes, 86 base64url characters. */
        CHECK(strlen(strrchr(tok->u.s, '.') + 1) == 86);
        const val *key = J(ES256_PUB);
        char keyq[512];
        sbuf kb;
        sb_init(&kb, keyq, sizeof keyq);
        json_write(&kb, v_str(&A, ES256_PUB, strlen(ES256_PUB)), 0);
        keyq[kb.len < sizeof keyq ? kb.len : 0] = '\0';
        (void)key;
        CHECK(is_json(callj("io.jwt.verify_es256", quoted, keyq, NULL), "true"));
        CHECK(is_json(callj("io.jwt.verify_es384", quoted, keyq, NULL),
                      "false")); /* hashed with SHA-384: no match */
        CHECK(is_json(callj("io.jwt.verify_rs256", quoted, keyq, NULL), "false"));
        /* corrupt the signature with another base64url character (a flipped
         * bit can leave the alphabet, making it a decode error, not false) */
        char *c = &quoted[strlen(quoted) - 3];
        *c = *c == 'A' ? 'B' : 'A';
        CHECK(is_json(callj("io.jwt.verify_es256", quoted, keyq, NULL), "false"));
    }
    const conf_case *rsa = find_case("jwtencodesignraw/https://tools.ietf.org/html/rfc7515#appendix-A.2");
    if (rsa) {
        tok = callj("io.jwt.encode_sign_raw", "\"{\\\"alg\\\":\\\"PS256\\\"}\"", "\"{}\"", rsa->args[2]);
        CHECK(tok != NULL);
        if (tok) {
            snprintf(quoted, sizeof quoted, "\"%s\"", tok->u.s);
            CHECK(is_json(callj("io.jwt.verify_ps256", quoted, rsa->args[2], NULL), "true"));
            CHECK(is_json(callj("io.jwt.verify_rs256", quoted, rsa->args[2], NULL), "false"));
        }
    }
    /* A JWK that cannot sign with the header's algorithm. */
    CHECK(!callj("io.jwt.encode_sign", "{\"alg\":\"RS256\"}", "{}", KEY42));
    CHECK(err_is(POL_EVAL_BUILTIN, "io.jwt.encode_sign: failed to sign"));
    CHECK(!callj("io.jwt.encode_sign", "{\"alg\":\"HS256\"}", "{}", "{\"kty\":\"nope\"}"));
    CHECK(err_is(POL_EVAL_BUILTIN, "io.jwt.encode_sign: failed to parse JWK"));
}

static void test_x509_fields(void)
{
    const conf_case *chain = find_case("cryptox509parseandverifycertificates/base_case");
    if (!chain)
        return;
    const val *certs = callj("crypto.x509.parse_certificates", chain->args[0], NULL, NULL);
    CHECK(certs && certs->type == V_ARR && certs->len == 3);
    if (!certs || certs->len != 3)
        return;
    /* Expected values read off `openssl x509 -text` for these certificates. */
    const val *root = certs->u.a[0], *leaf = certs->u.a[2];
    CHECK(is_json(get(get(root, "Subject"), "Organization"), "[\"OPA Test\"]"));
    CHECK(is_json(get(get(root, "Issuer"), "CommonName"), "\"OPA Test Root CA\""));
    CHECK(is_json(get(get(root, "Subject"), "Country"), "null"));
    CHECK(is_json(get(root, "SerialNumber"), "199198281155336502145185990653522959891"));
    CHECK(is_json(get(root, "Version"), "3"));
    CHECK(is_json(get(root, "NotBefore"), "\"2021-07-01T17:41:53Z\""));
    CHECK(is_json(get(root, "NotAfter"), "\"2031-06-29T17:41:53Z\""));
    CHECK(is_json(get(root, "KeyUsage"), "96")); /* CertSign | CRLSign */
    CHECK(is_json(get(root, "IsCA"), "true"));
    CHECK(is_json(get(root, "BasicConstraintsValid"), "true"));
    CHECK(is_json(get(root, "MaxPathLen"), "1"));
    CHECK(is_json(get(root, "PublicKeyAlgorithm"), "3"));  /* ECDSA */
    CHECK(is_json(get(root, "SignatureAlgorithm"), "10")); /* ECDSAWithSHA256 */
    CHECK(is_json(get(get(certs->u.a[1], "Subject"), "CommonName"), "\"OPA Test Intermediate CA\""));
    CHECK(is_json(get(certs->u.a[1], "MaxPathLenZero"), "true"));
    CHECK(is_json(get(leaf, "DNSNames"), "[\"notarealsite.opa.localhost\"]"));
    CHECK(is_json(get(leaf, "ExtKeyUsage"), "[1,2]")); /* ServerAuth, ClientAuth */
    CHECK(is_json(get(leaf, "KeyUsage"), "1"));        /* DigitalSignature */
    CHECK(is_json(get(leaf, "IsCA"), "false"));
    CHECK(is_json(get(leaf, "URIs"), "null"));
    const val *raw = get(leaf, "Raw");
    CHECK(raw && raw->type == V_STR && strncmp(raw->u.s, "MIIB8zCCAZqgAwIBAgIRAID4gPKg7DDi", 32) == 0);

    /* Wrong order, a single certificate, or a clock past expiry: invalid. */
    const val *one = J("\"-----BEGIN CERTIFICATE-----\\n"
                       "MIIBoDCCAUagAwIBAgIRAJXcMYZALXooNq/VV/grXhMwCgYIKoZIzj0EAwIwLjER\\n"
                       "-----END CERTIFICATE-----\\n\"");
    (void)one;
    const val *args[1] = {J(chain->args[0])};
    const val *out;
    C.now_ns = INT64_C(2240000000) * 1000000000; /* 2040 */
    CHECK(call("crypto.x509.parse_and_verify_certificates", args, &out) == BI_OK &&
          is_json(out, "[false,[]]"));
    C.now_ns = NOW_NS;
    const conf_case *single = find_case("cryptox509parsecertificates/PEM, single cert, string");
    if (single)
        CHECK(is_json(callj("crypto.x509.parse_and_verify_certificates", single->args[0], NULL, NULL),
                      "[false,[]]"));
    CHECK(
        is_json(callj("crypto.x509.parse_and_verify_certificates", "\"foobar\"", NULL, NULL), "[false,[]]"));

    /* A PEM block of another type. */
    CHECK(!callj(
        "crypto.x509.parse_certificates",
        "\"-----BEGIN PUBLIC KEY-----\\nMCowBQYDK2VwAyEAwmK6SSAu2E9V7uynkCKEaj5nZJyTvNG4x0KohsRzLpg=\\n"
        "-----END PUBLIC KEY-----\\n\"",
        NULL, NULL));
    CHECK(err_is(POL_EVAL_BUILTIN, "PEM block type is 'PUBLIC KEY', expected CERTIFICATE"));

    /* Key pair whose key belongs to another certificate. */
    const conf_case *kp1 = find_case("cryptoX509ParseKeyPairs/PEM_encoded_string_cert_and_key");
    const conf_case *kp2 = find_case("cryptoX509ParseKeyPairs/base64_encoded_string_cert_and_key");
    if (kp1 && kp2) {
        CHECK(!callj("crypto.x509.parse_keypair", kp1->args[0], kp2->args[1], NULL));
        CHECK(err_is(POL_EVAL_BUILTIN, "tls: private key does not match public key"));
        const val *kp = callj("crypto.x509.parse_keypair", kp1->args[0], kp1->args[1], NULL);
        CHECK(kp && get(get(kp, "PrivateKey"), "N") && get(get(kp, "Leaf"), "Subject"));
        CHECK(is_json(get(get(get(kp, "Leaf"), "Subject"), "CommonName"), "\"example.com\""));
    }
    const conf_case *rsa = find_case("cryptoparseprivatekey/valid");
    if (rsa) {
        const val *keys = callj("crypto.parse_private_keys", rsa->args[0], NULL, NULL);
        CHECK(keys && keys->len == 1 && is_json(get(keys->u.a[0], "E"), "65537"));
    }
}

static void test_aws_more(void)
{
    /* Not s3: no x-amz-content-sha256 header. Signature derived
     * independently from AWS's SigV4 description (Python hmac/hashlib)
     * with OPA's canonicalisation: method as given, path, raw query. */
    const val *out = callj(
        "providers.aws.sign_req",
        "{\"method\":\"POST\",\"url\":\"https://example.com:8443/path/"
        "to?x=1&y=2#frag\",\"raw_body\":\"hello\","
        "\"headers\":{\"X-Foo\":\"bar\",\"User-Agent\":\"ua\",\"Authorization\":\"old\"}}",
        "{\"aws_access_key\":\"AK\",\"aws_secret_access_key\":\"SECRET\",\"aws_service\":\"execute-api\","
        "\"aws_region\":\"eu-west-1\"}",
        "1451311705000000000");
    CHECK(out != NULL);
    const val *h = get(out, "headers");
    CHECK(is_json(get(h, "Authorization"),
                  "\"AWS4-HMAC-SHA256 Credential=AK/20151228/eu-west-1/execute-api/aws4_request,"
                  "SignedHeaders=host;x-amz-date;x-foo,"
                  "Signature=257ae75b23c140a547b19c95636a14e437260ba39c7895dde236368cb51408ee\""));
    CHECK(get(h, "x-amz-content-sha256") == NULL);
    CHECK(is_json(get(h, "host"), "\"example.com:8443\""));
    CHECK(is_json(get(h, "User-Agent"), "\"ua\""));
    CHECK(is_json(get(out, "raw_body"), "\"hello\""));
}

/* Every row again with arenas too small: each call must either succeed or
 * fail cleanly (arena-limit error, or the row's own error), leaking no
 * OpenSSL object (ASan checks). */
static void test_arena_exhaustion(void)
{
    size_t cap = 4u << 20;
    void *mem = malloc(cap);
    int bad = 0, attempts = 0;
    for (size_t i = 0; i < sizeof conf_cases / sizeof conf_cases[0]; i++) {
        const conf_case *c = &conf_cases[i];
        arena_mark m = arena_save(&A);
        const val *args[3] = {NULL, NULL, NULL};
        for (int k = 0; k < 3 && c->args[k]; k++)
            args[k] = J(c->args[k]);
        bool finished = false;
        for (size_t size = 0; size < cap && !finished; size += size / 4 + 64) {
            arena small;
            arena_init_fixed(&small, mem, size);
            C.arena = &small;
            const val *out;
            bi_status st = call(c->name, args, &out);
            C.arena = &A;
            attempts++;
            if (st == BI_OK ||
                (c->kind == CK_ERR && C.err_code != POL_LIMIT_ARENA && strstr(C.err_msg, c->want))) {
                finished = true;
            } else if (C.err_code != POL_LIMIT_ARENA) {
                fprintf(stderr, "  %s at %zu bytes: %s\n", c->note, size, C.err_msg);
                break;
            }
        }
        if (!finished)
            bad++;
        arena_restore(&A, m);
    }
    CHECK(bad == 0);
    CHECK(attempts > (int)(sizeof conf_cases / sizeof conf_cases[0]) * 4);
    free(mem);
}

int main(void)
{
    size_t size = 64u << 20;
    void *mem = malloc(size);
    arena_init_fixed(&A, mem, size);
    C.arena = &A;
    C.now_ns = NOW_NS;
    test_conformance_rows();
    test_type_errors();
    test_digests();
    test_base64_errors();
    test_decode_verify_more();
    test_encode_sign_more();
    test_x509_fields();
    test_aws_more();
    test_arena_exhaustion();
    free(mem);
    return TEST_SUMMARY();
}
