// SPDX-License-Identifier: GPL-2.0
/*
 * gup_bench: cost per page of taking and dropping page references through
 * the gup_test debugfs interface (CONFIG_GUP_TEST), on SIZE_MIB of written
 * private anonymous memory (THP off):
 *   pin_fast      PIN_FAST_BENCHMARK      pin_user_pages_fast + unpin   (gup_test -a)
 *   pin_longterm  PIN_LONGTERM_BENCHMARK  pin_user_pages(FOLL_LONGTERM) (gup_test -L)
 *   gup_fast      GUP_FAST_BENCHMARK      get_user_pages_fast + put     (gup_test -u)
 * On the shadow kernel each FOLL_PIN of an order-0 anonymous page is also
 * counted in its PTE's shadow entry (and uncounted at unpin); plain GUP
 * (gup_fast) is not, so it is the control.
 *
 * Modelled on selftests/mm/gup_test.c's benchmark modes: the same ioctls
 * with its defaults (FOLL_WRITE, one page per call), issued directly
 * with struct gup_test from mm/gup_test.h; the kernel reports
 * get_delta_usec and put_delta_usec.
 *
 * usage: gup_bench [SIZE_MIB [pin_fast|pin_longterm|gup_fast|all]]
 *        environment: NR_PAGES_PER_CALL (default 1, as gup_test)
 * output: RESULT gup_<mode> size_mib=N pages=N get_ns_per_page=X
 *         put_ns_per_page=X fast_counted=N fast_fallback=N
 * fast_counted and fast_fallback are the shadow kernel's vmstat events
 * shadow_pte_gup_fast_pin (GUP-fast counted the pin itself) and
 * shadow_pte_gup_fast_fallback (it left the page to the slow path) over the
 * run; 0 on kernels without them.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include "mm/gup_test.h"
#include "bench.h"

#define GUP_FOLL_WRITE 0x01	/* FOLL_WRITE of include/linux/mm_types.h */

static const char *const modes[] = { "pin_fast", "pin_longterm", "gup_fast", NULL };
static const unsigned long cmds[] = { PIN_FAST_BENCHMARK, PIN_LONGTERM_BENCHMARK,
				      GUP_FAST_BENCHMARK };

int main(int argc, char **argv)
{
	const char *mode, *npc = getenv("NR_PAGES_PER_CALL");
	size_t len = bench_args(argc, argv, 64, modes, &mode);
	size_t pages = len / page_size();
	char *p = bench_map_anon(len);
	int fd, i;

	fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (fd < 0)
		die("/sys/kernel/debug/gup_test: %s (CONFIG_GUP_TEST, debugfs mounted?)",
		    strerror(errno));
	touch_write(p, len);
	for (i = 0; modes[i]; i++) {
		long long counted, fallback;
		struct gup_test g;

		if (!bench_want(mode, modes[i]))
			continue;
		memset(&g, 0, sizeof(g));
		g.addr = (unsigned long)p;
		g.size = len;
		g.nr_pages_per_call = npc ? bench_parse(npc, 1, 1 << 20, "NR_PAGES_PER_CALL") : 1;
		g.gup_flags = GUP_FOLL_WRITE;
		counted = vmstat("shadow_pte_gup_fast_pin");
		fallback = vmstat("shadow_pte_gup_fast_fallback");
		if (ioctl(fd, cmds[i], &g))
			die("gup_test ioctl %s: %s", modes[i], strerror(errno));
		counted = delta(vmstat("shadow_pte_gup_fast_pin"), counted);
		fallback = delta(vmstat("shadow_pte_gup_fast_fallback"), fallback);
		printf("RESULT gup_%s size_mib=%zu pages=%zu get_ns_per_page=%.1f put_ns_per_page=%.1f fast_counted=%lld fast_fallback=%lld\n",
		       modes[i], len / MIB, pages, g.get_delta_usec * 1000.0 / pages,
		       g.put_delta_usec * 1000.0 / pages, counted, fallback);
	}
	close(fd);
	munmap(p, len);
	return 0;
}
