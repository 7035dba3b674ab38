// SPDX-License-Identifier: GPL-2.0
/*
 * pin_scale: does the cost of a pin and an unpin depend on how many pages
 * are already pinned? For each HELD count, pin HELD pages of written
 * private anonymous memory through io_uring fixed buffers (FOLL_PIN |
 * FOLL_LONGTERM, held until the end), then measure gup_test's
 * PIN_FAST_BENCHMARK (pin_user_pages_fast + unpin_user_pages) and
 * PIN_LONGTERM_BENCHMARK (pin_user_pages(FOLL_LONGTERM) + unpin) of a
 * further SIZE_MIB range, REPS times each. On the shadow kernel every held
 * page has a pin record, so a record lookup that grows with the number of
 * records shows as a cost that grows with HELD.
 *
 * usage: pin_scale SIZE_MIB [REPS [HELD...]]   (defaults: 1 repetition, HELD 1024)
 * output, per HELD and repetition:
 *   RESULT pinscale_<mode>_<held> held=N pages=N get_ns_per_page=X put_ns_per_page=X
 * (mode fast or longterm); a HELD count that does not fit in MemAvailable
 * (with 256 MiB to spare) prints "SKIP held=N ..." and is left out.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include "mm/gup_test.h"
#include "bench.h"

#define GUP_FOLL_WRITE 0x01	/* FOLL_WRITE of include/linux/mm_types.h */

static const char *held_name(long held, char *buf, size_t len)
{
	if (held % (1L << 20) == 0)
		snprintf(buf, len, "%ldMi", held >> 20);
	else if (held % 1024 == 0)
		snprintf(buf, len, "%ldKi", held >> 10);
	else
		snprintf(buf, len, "%ld", held);
	return buf;
}

int main(int argc, char **argv)
{
	static const char *const mname[] = { "fast", "longterm" };
	static const unsigned long cmd[] = { PIN_FAST_BENCHMARK, PIN_LONGTERM_BENCHMARK };
	size_t ps = page_size(), len;
	long reps, held;
	static char *const def_held[] = { "1024" };
	char *const *held_arg = argc > 3 ? argv + 3 : def_held;
	int nheld = argc > 3 ? argc - 3 : 1;
	int fd, a, r, m;
	char *bench;

	if (argc < 2)
		die("usage: pin_scale SIZE_MIB [REPS [HELD...]]");
	len = (size_t)bench_parse(argv[1], 1, 1 << 16, "SIZE_MIB") * MIB;
	reps = argc > 2 ? bench_parse(argv[2], 1, 1000, "REPS") : 1;
	fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (fd < 0)
		die("/sys/kernel/debug/gup_test: %s (CONFIG_GUP_TEST, debugfs mounted?)",
		    strerror(errno));
	bench = bench_map_anon(len);
	touch_write(bench, len);
	for (a = 0; a < nheld; a++) {
		long long avail = meminfo_bytes("MemAvailable");
		char name[32];
		int ring;
		char *p;

		held = bench_parse(held_arg[a], 1, 1L << 30, "HELD");
		held_name(held, name, sizeof(name));
		if (avail < 0 || (long long)held * (long long)ps + 256LL * (long long)MIB > avail) {
			printf("SKIP held=%ld: %lld MiB available, needs %lld (give the guest more memory)\n",
			       held, avail / (long long)MIB,
			       ((long long)held * (long long)ps) / (long long)MIB + 256);
			continue;
		}
		p = bench_map_anon(held * ps);
		touch_write(p, held * ps);
		ring = bench_pin(p, held * ps, PIN_DENSE);
		for (r = 0; r < reps; r++) {
			for (m = 0; m < 2; m++) {
				struct gup_test g;
				size_t pages = len / ps;

				memset(&g, 0, sizeof(g));
				g.addr = (unsigned long)bench;
				g.size = len;
				g.nr_pages_per_call = 1;
				g.gup_flags = GUP_FOLL_WRITE;
				if (ioctl(fd, cmd[m], &g))
					die("gup_test ioctl %s: %s", mname[m], strerror(errno));
				printf("RESULT pinscale_%s_%s held=%ld pages=%zu get_ns_per_page=%.1f put_ns_per_page=%.1f\n",
				       mname[m], name, held, pages,
				       g.get_delta_usec * 1000.0 / pages,
				       g.put_delta_usec * 1000.0 / pages);
			}
		}
		fflush(stdout);
		bench_unpin(ring);
		munmap(p, held * ps);
	}
	close(fd);
	munmap(bench, len);
	return 0;
}
