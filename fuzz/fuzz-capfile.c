/* libFuzzer harness: the capture-file reader alone (src/io/capfile.c).
 *
 * The bytes go into a memfd (a real descriptor, so read(2), lseek and the
 * park/resume path run as for a file) and are read to the end; every
 * packet's bytes are touched (ASan catches a pointer past the buffer) and
 * checked against what the file can hold; every third packet the reader is
 * parked and resumed on a fresh descriptor, so the lazy-opening path sees
 * every format, gzip included.  Invariants: a packet never claims more
 * bytes than the input has (or, inflated, than 16 MiB), interface indexes
 * are in range, an error always comes with a one-line message.
 *
 * Built by fuzz/meson.build (-Dfuzz=true, clang); run by scripts/fuzz.sh. */
#define _GNU_SOURCE   /* memfd_create */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io/capfile.h"
#include "fuzz-common.h"

#define FUZZ_MAX_PACKETS 5000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-capfile", 0);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);

	char *why = NULL;
	ss_capfile *f = ss_capfile_open(fd, NULL, &why);
	if (!f) {
		FUZZ_CHECK(why != NULL && *why && !strchr(why, '\n'));
		g_free(why);
		close(fd);
		return 0;
	}
	FUZZ_CHECK(ss_capfile_n_ifaces(f) >= 1);
	ss_capfile_packet p;
	int r;
	guint n = 0;
	volatile guint8 sink = 0;
	while (n < FUZZ_MAX_PACKETS && (r = ss_capfile_next(f, &p)) == 1) {
		FUZZ_CHECK(p.iface < ss_capfile_n_ifaces(f));
		FUZZ_CHECK(p.caplen <= SS_CAPFILE_MAX_BLOCK);
		if (!ss_capfile_gzip(f))
			FUZZ_CHECK(p.caplen <= size);
		for (guint32 i = 0; i < p.caplen; i++)
			sink ^= p.data[i];
		if (++n % 3 == 0) {
			ss_capfile_park(f, &p);
			for (guint32 i = 0; i < p.caplen; i++)
				sink ^= p.data[i];
			int fd2 = dup(fd);
			close(fd);
			fd = fd2;
			FUZZ_CHECK(ss_capfile_resume(f, fd));
		}
	}
	if (n < FUZZ_MAX_PACKETS && r < 0)
		FUZZ_CHECK(*ss_capfile_error(f) && !strchr(ss_capfile_error(f), '\n'));
	(void)sink;
	ss_capfile_free(f);
	close(fd);
	return 0;
}
