// SPDX-License-Identifier: GPL-2.0
/*
 * fault_wp: write-protect faults on anonymous memory after fork, the two
 * outcomes of do_wp_page:
 *   copy   the parent writes each page while the child is alive (and
 *          blocked on a pipe), so every page is shared and gets copied
 *   reuse  the child has exited before the parent writes, so every page is
 *          exclusive again and is reused in place (wp_can_reuse_anon_folio)
 *   mprotect  no fork: write, mprotect read-only and back, write again
 *   softdirty the same, with the PTEs write-protected by clear_refs
 *
 * Modelled on the write-fault duration measurement of the Copy-on-Pin work
 * (time to resolve one write fault on a COW-shared anonymous page, fork
 * then write), written here with THP off and one byte written per page.
 *
 * usage: fault_wp [SIZE_MIB [copy|reuse|mprotect|softdirty|all]]
 * output: RESULT fault_wp_<mode> size_mib=N pages=N ns_per_fault=X
 *         (mprotect, softdirty: ns_per_write=X faults_per_page=X)
 */
#include <signal.h>
#include <sys/wait.h>
#include "bench.h"

static const char *const modes[] = { "copy", "reuse", "mprotect", "softdirty", NULL };

/*
 * mprotect: Copy-on-Pin's write-fault measurement. Every page is written,
 * made read-only and writable again with mprotect(), then written once
 * more, in a process that has pinned once (MMF_HAS_PINNED). The pages are
 * exclusive: a write fault, if mprotect() left the PTE read-only, reuses
 * the page in place; 6.12 makes such PTEs writable in mprotect() itself
 * (can_change_pte_writable()), so faults_per_page tells whether any write
 * faulted at all.
 * softdirty: the same, but the PTEs are write-protected by clearing the
 * soft-dirty bits (/proc/self/clear_refs "4"), so every write faults and
 * do_wp_page() reuses the exclusive page.
 */
static void run_wprotect(size_t len, int softdirty)
{
	size_t ps = page_size(), off;
	char *p = bench_map_anon(len);
	struct rusage r0, r1;
	double t0, t1;
	int fd;

	bench_pinned_once();
	touch_write(p, len);
	if (mprotect(p, len, PROT_READ) || mprotect(p, len, PROT_READ | PROT_WRITE))
		die("mprotect: %s", strerror(errno));
	if (softdirty) {
		fd = open("/proc/self/clear_refs", O_WRONLY);
		if (fd < 0 || write(fd, "4", 1) != 1)
			die("/proc/self/clear_refs: %s (needs CONFIG_MEM_SOFT_DIRTY)",
			    strerror(errno));
		close(fd);
	}
	getrusage(RUSAGE_SELF, &r0);
	t0 = now_ns();
	for (off = 0; off < len; off += ps)
		p[off] = 3;
	t1 = now_ns();
	getrusage(RUSAGE_SELF, &r1);
	printf("RESULT fault_wp_%s size_mib=%zu pages=%zu ns_per_write=%.1f faults_per_page=%.3f\n",
	       softdirty ? "softdirty" : "mprotect", len / MIB, len / ps,
	       (t1 - t0) / (double)(len / ps),
	       (r1.ru_minflt - r0.ru_minflt) / (double)(len / ps));
	fflush(stdout);
	munmap(p, len);
}

static void run(size_t len, int reuse)
{
	size_t ps = page_size(), off;
	char *p = bench_map_anon(len);
	int go[2];
	double t0, t1;
	char c = 0;
	pid_t pid;

	touch_write(p, len);
	if (pipe(go))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		close(go[1]);
		if (!reuse && read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	if (reuse && waitpid(pid, NULL, 0) != pid)
		die("waitpid: %s", strerror(errno));
	t0 = now_ns();
	for (off = 0; off < len; off += ps)
		p[off] = 2;
	t1 = now_ns();
	close(go[1]);	/* the blocked child (copy) reads EOF and exits */
	if (!reuse && waitpid(pid, NULL, 0) != pid)
		die("waitpid: %s", strerror(errno));
	printf("RESULT fault_wp_%s size_mib=%zu pages=%zu ns_per_fault=%.1f\n",
	       reuse ? "reuse" : "copy", len / MIB, len / ps,
	       (t1 - t0) / (double)(len / ps));
	fflush(stdout);
	munmap(p, len);
}

int main(int argc, char **argv)
{
	const char *mode;
	size_t len = bench_args(argc, argv, 64, modes, &mode);

	if (bench_want(mode, "copy"))
		run(len, 0);
	if (bench_want(mode, "reuse"))
		run(len, 1);
	if (bench_want(mode, "mprotect"))
		run_wprotect(len, 0);
	if (bench_want(mode, "softdirty"))
		run_wprotect(len, 1);
	return 0;
}
