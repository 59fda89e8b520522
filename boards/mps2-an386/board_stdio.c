/*
 * board_stdio.c - printf and friends for the mps2-an386 board, without
 * newlib's stdio.
 *
 * Why: newlib's printf/snprintf family (full and nano alike) reaches
 * _malloc_r/_realloc_r: stdout's buffer is malloc'ed on first use
 * (__smakebuf_r), and the string-output path can grow its buffer with
 * _realloc_r (for asprintf). Even if setvbuf() avoided the first at run
 * time, the code that calls malloc would still be linked, and this board
 * proves that nothing in its images can allocate (check_map.sh fails if
 * malloc is linked at all). So the image defines these functions itself and
 * newlib's stdio objects are never pulled in: only newlib's string, ctype and
 * strtol are used.
 *
 * What is supported: the C11 conversions d i u o x X c s p n % with the
 * flags - + space # 0, a width and a precision (numbers or *), and the
 * length modifiers hh h l ll j z t. That is everything crto, its ports, its
 * tests and mbedTLS format. Floating point (f e g a) is NOT: it consumes its
 * double and prints "<float>" (crto never formats floats).
 * board_stdio_test.c checks the output byte for byte against glibc's
 * snprintf on the host.
 *
 * Output: printf/puts/putchar (and fprintf & co. on stdout or stderr, the
 * only streams there are) go to board_console_write(), which is line
 * buffered. Built with -DBOARD_STDIO_HOST_TEST (by board_stdio_test.c) only
 * the formatter is compiled, as board_vsnprintf/board_snprintf.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef BOARD_STDIO_HOST_TEST
#include "board.h"
#endif

typedef struct {
    char *buf;      /* string output: the buffer (NULL for the console)  */
    size_t cap;     /* its size                                          */
    size_t len;     /* characters produced so far (even past cap)         */
} board_out_t;

static void out_char(board_out_t *o, char c)
{
    if (o->buf != NULL) {
        if (o->len + 1 < o->cap) {
            o->buf[o->len] = c;
        }
    } else {
#ifndef BOARD_STDIO_HOST_TEST
        board_console_write(&c, 1);
#endif
    }
    o->len++;
}

static void out_repeat(board_out_t *o, char c, size_t n)
{
    while (n-- > 0) {
        out_char(o, c);
    }
}

static void out_mem(board_out_t *o, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        out_char(o, s[i]);
    }
}

enum { F_MINUS = 1, F_PLUS = 2, F_SPACE = 4, F_HASH = 8, F_ZERO = 16 };
enum { L_NONE, L_HH, L_H, L_L, L_LL, L_J, L_Z, L_T, L_BIGL };

/* One integer conversion. neg: the value is negative and mag its
 * magnitude. prec < 0: no precision given. */
static void out_int(board_out_t *o, unsigned long long mag, int neg, unsigned base, int upper, int flags,
                    size_t width, int prec, char conv)
{
    static const char lower_digits[] = "0123456789abcdef";
    static const char upper_digits[] = "0123456789ABCDEF";
    const char *digits = upper ? upper_digits : lower_digits;
    char tmp[24]; /* 22 octal digits of 2^64 - 1 */
    size_t nd = 0, ndigits, total, zeros = 0;
    char sign = 0;
    const char *prefix = "";
    size_t nprefix = 0;

    while (mag != 0) {
        tmp[nd++] = digits[mag % base];
        mag /= base;
    }
    /* "%.0d" of 0 prints no digit; every other zero prints one. */
    if (nd == 0 && prec != 0) {
        tmp[nd++] = '0';
    }
    ndigits = nd;
    if (prec > 0 && (size_t)prec > ndigits) {
        zeros = (size_t)prec - ndigits;
    }
    if (conv == 'd' || conv == 'i') {
        if (neg) {
            sign = '-';
        } else if (flags & F_PLUS) {
            sign = '+';
        } else if (flags & F_SPACE) {
            sign = ' ';
        }
    }
    if (flags & F_HASH) {
        if (base == 8) {
            /* The first digit must be a 0. */
            if (zeros == 0 && (nd == 0 || tmp[nd - 1] != '0')) {
                zeros = 1;
            }
        } else if (base == 16 && nd > 0 && !(nd == 1 && tmp[0] == '0')) {
            prefix = upper ? "0X" : "0x";
            nprefix = 2;
        }
    }
    if (conv == 'p') {
        prefix = "0x";
        nprefix = 2;
    }
    total = (sign ? 1u : 0u) + nprefix + zeros + ndigits;
    /* The 0 flag pads with zeros after the sign, unless a precision was
     * given or the - flag is set. */
    if ((flags & F_ZERO) && !(flags & F_MINUS) && prec < 0 && width > total) {
        zeros += width - total;
        total = width;
    }
    if (!(flags & F_MINUS) && width > total) {
        out_repeat(o, ' ', width - total);
    }
    if (sign) {
        out_char(o, sign);
    }
    out_mem(o, prefix, nprefix);
    out_repeat(o, '0', zeros);
    while (nd > 0) {
        out_char(o, tmp[--nd]);
    }
    if ((flags & F_MINUS) && width > total) {
        out_repeat(o, ' ', width - total);
    }
}

static void out_padded(board_out_t *o, const char *s, size_t n, int flags, size_t width)
{
    if (!(flags & F_MINUS) && width > n) {
        out_repeat(o, ' ', width - n);
    }
    out_mem(o, s, n);
    if ((flags & F_MINUS) && width > n) {
        out_repeat(o, ' ', width - n);
    }
}

static void board_format(board_out_t *o, const char *fmt, va_list ap)
{
    while (*fmt != '\0') {
        int flags = 0, prec = -1, length = L_NONE;
        size_t width = 0;
        const char *spec = fmt;
        char conv;

        if (*fmt != '%') {
            out_char(o, *fmt++);
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-') {
                flags |= F_MINUS;
            } else if (*fmt == '+') {
                flags |= F_PLUS;
            } else if (*fmt == ' ') {
                flags |= F_SPACE;
            } else if (*fmt == '#') {
                flags |= F_HASH;
            } else if (*fmt == '0') {
                flags |= F_ZERO;
            } else {
                break;
            }
        }
        if (*fmt == '*') {
            int w = va_arg(ap, int);
            fmt++;
            if (w < 0) {
                flags |= F_MINUS;
                width = w == INT_MIN ? (size_t)INT_MAX + 1u : (size_t)-w;
            } else {
                width = (size_t)w;
            }
        } else {
            while (*fmt >= '0' && *fmt <= '9') {
                width = width * 10u + (size_t)(*fmt++ - '0');
            }
        }
        if (*fmt == '.') {
            fmt++;
            if (*fmt == '*') {
                int p = va_arg(ap, int);
                fmt++;
                prec = p < 0 ? -1 : p;
            } else {
                prec = 0;
                while (*fmt >= '0' && *fmt <= '9') {
                    prec = prec * 10 + (*fmt++ - '0');
                }
            }
        }
        switch (*fmt) {
        case 'h':
            length = fmt[1] == 'h' ? L_HH : L_H;
            fmt += length == L_HH ? 2 : 1;
            break;
        case 'l':
            length = fmt[1] == 'l' ? L_LL : L_L;
            fmt += length == L_LL ? 2 : 1;
            break;
        case 'j':
            length = L_J;
            fmt++;
            break;
        case 'z':
            length = L_Z;
            fmt++;
            break;
        case 't':
            length = L_T;
            fmt++;
            break;
        case 'L':
            length = L_BIGL;
            fmt++;
            break;
        default:
            break;
        }
        conv = *fmt;
        if (conv == '\0') {
            /* A lone '%' at the end: print what there was. */
            out_mem(o, spec, (size_t)(fmt - spec));
            break;
        }
        fmt++;
        switch (conv) {
        case 'd':
        case 'i': {
            long long v;
            switch (length) {
            case L_HH: v = (signed char)va_arg(ap, int); break;
            case L_H: v = (short)va_arg(ap, int); break;
            case L_L: v = va_arg(ap, long); break;
            case L_LL: v = va_arg(ap, long long); break;
            case L_J: v = (long long)va_arg(ap, intmax_t); break;
            case L_Z: v = (long long)va_arg(ap, ptrdiff_t); break; /* signed size_t */
            case L_T: v = (long long)va_arg(ap, ptrdiff_t); break;
            default: v = va_arg(ap, int); break;
            }
            out_int(o, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0, 10, 0, flags, width,
                    prec, conv);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            unsigned long long v;
            switch (length) {
            case L_HH: v = (unsigned char)va_arg(ap, unsigned); break;
            case L_H: v = (unsigned short)va_arg(ap, unsigned); break;
            case L_L: v = va_arg(ap, unsigned long); break;
            case L_LL: v = va_arg(ap, unsigned long long); break;
            case L_J: v = (unsigned long long)va_arg(ap, uintmax_t); break;
            case L_Z: v = (unsigned long long)va_arg(ap, size_t); break;
            case L_T: v = (unsigned long long)va_arg(ap, size_t); break; /* unsigned ptrdiff_t */
            default: v = va_arg(ap, unsigned); break;
            }
            out_int(o, v, 0, conv == 'u' ? 10u : conv == 'o' ? 8u : 16u, conv == 'X', flags, width, prec, conv);
            break;
        }
        case 'p': {
            void *p = va_arg(ap, void *);
            if (p == NULL) {
                out_padded(o, "(nil)", 5, flags, width);
            } else {
                out_int(o, (unsigned long long)(uintptr_t)p, 0, 16, 0, flags & ~F_ZERO, width, prec, 'p');
            }
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            out_padded(o, &c, 1, flags, width);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            size_t n;
            if (s == NULL) {
                s = prec < 0 || prec >= 6 ? "(null)" : "";
            }
            if (prec >= 0) {
                const char *end = memchr(s, '\0', (size_t)prec);
                n = end != NULL ? (size_t)(end - s) : (size_t)prec;
            } else {
                n = strlen(s);
            }
            out_padded(o, s, n, flags, width);
            break;
        }
        case 'n': {
            switch (length) {
            case L_HH: *va_arg(ap, signed char *) = (signed char)o->len; break;
            case L_H: *va_arg(ap, short *) = (short)o->len; break;
            case L_L: *va_arg(ap, long *) = (long)o->len; break;
            case L_LL: *va_arg(ap, long long *) = (long long)o->len; break;
            case L_J: *va_arg(ap, intmax_t *) = (intmax_t)o->len; break;
            case L_Z: *va_arg(ap, size_t *) = o->len; break;
            case L_T: *va_arg(ap, ptrdiff_t *) = (ptrdiff_t)o->len; break;
            default: *va_arg(ap, int *) = (int)o->len; break;
            }
            break;
        }
        case '%':
            out_char(o, '%');
            break;
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            /* Not supported (see the top); keep the arguments in step. */
            if (length == L_BIGL) {
                (void)va_arg(ap, long double);
            } else {
                (void)va_arg(ap, double);
            }
            out_padded(o, "<float>", 7, flags, width);
            break;
        default:
            /* Unknown conversion: print it as written. */
            out_mem(o, spec, (size_t)(fmt - spec));
            break;
        }
    }
}

static int out_result(size_t len)
{
    return len > (size_t)INT_MAX ? -1 : (int)len;
}

#ifdef BOARD_STDIO_HOST_TEST
#define BOARD_VSNPRINTF board_vsnprintf
#define BOARD_SNPRINTF board_snprintf
int board_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
int board_snprintf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#else
#define BOARD_VSNPRINTF vsnprintf
#define BOARD_SNPRINTF snprintf
#endif

int BOARD_VSNPRINTF(char *buf, size_t cap, const char *fmt, va_list ap)
{
    static char dummy;
    board_out_t o;

    /* buf may be NULL when cap is 0 (size queries); never write there. */
    o.buf = cap > 0 && buf != NULL ? buf : &dummy;
    o.cap = buf != NULL ? cap : 0;
    o.len = 0;
    board_format(&o, fmt, ap);
    if (o.cap > 0) {
        o.buf[o.len < o.cap ? o.len : o.cap - 1] = '\0';
    }
    return out_result(o.len);
}

int BOARD_SNPRINTF(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = BOARD_VSNPRINTF(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

#ifndef BOARD_STDIO_HOST_TEST

/* The console side. Every FILE here is stdout or stderr (nothing can be
 * opened), and both go to the board console. */

int vsprintf(char *buf, const char *fmt, va_list ap)
{
    return vsnprintf(buf, (size_t)INT_MAX, fmt, ap);
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, (size_t)INT_MAX, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    board_out_t o = {NULL, 0, 0};

    board_format(&o, fmt, ap);
    return out_result(o.len);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vfprintf(FILE *stream, const char *fmt, va_list ap)
{
    (void)stream;
    return vprintf(fmt, ap);
}

int fprintf(FILE *stream, const char *fmt, ...)
{
    va_list ap;
    int n;

    (void)stream;
    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    board_console_write(s, strlen(s));
    board_console_write("\n", 1);
    return 1;
}

int fputs(const char *s, FILE *stream)
{
    (void)stream;
    board_console_write(s, strlen(s));
    return 1;
}

#undef putchar
int putchar(int c)
{
    char ch = (char)c;
    board_console_write(&ch, 1);
    return (unsigned char)ch;
}

#undef fputc
int fputc(int c, FILE *stream)
{
    (void)stream;
    return putchar(c);
}

#undef putc
int putc(int c, FILE *stream)
{
    (void)stream;
    return putchar(c);
}

size_t fwrite(const void *ptr, size_t size, size_t n, FILE *stream)
{
    (void)stream;
    board_console_write((const char *)ptr, size * n);
    return n;
}

int fflush(FILE *stream)
{
    (void)stream;
    board_console_flush();
    return 0;
}

#endif /* !BOARD_STDIO_HOST_TEST */
