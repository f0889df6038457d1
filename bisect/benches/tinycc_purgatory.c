/* A purgatory-like program TinyCC compiles (TinyCC has no movabs, so no asm entry): the loader's globals
 * in .kexec-purgatory and .data, reached from C through a table of their addresses; tables, a switch, function
 * pointers. TinyCC 0.9.26 relocates it with PC32 and 64 only; 0.9.27 calls with PLT32, which Linux <= 4.15
 * does not know. The real_history bench bisects that change. */
struct kexec_sha_region { unsigned long start, len; };
struct kexec_sha_region purgatory_sha_regions[16] __attribute__((section(".kexec-purgatory"))) = {{1, 1}};
unsigned char purgatory_sha256_digest[32] __attribute__((section(".kexec-purgatory"))) = {1};
unsigned long entry64_regs[17] __attribute__((section(".data"))) = {1};
unsigned long stack_end[1] __attribute__((section(".bss.stack")));

unsigned long purgatory(void);

/* The entry, first in .text as setup-x86_64.S's is. */
void purgatory_start(void)
{
	purgatory();
	for (;;)
		;
}

static unsigned long stack[64] = {1};
static void *const loader[2] = {purgatory_sha_regions, purgatory_sha256_digest};
static const unsigned long table[8] = {3, 1, 4, 1, 5, 9, 2, 6};
static unsigned long f0(unsigned long x) { return x + 1; }
static unsigned long f1(unsigned long x) { return x * 3; }
static unsigned long (*const fns[2])(unsigned long) = {f0, f1};

static unsigned long pick(unsigned long i)
{
	switch (i & 7) {
	case 0: return table[1];
	case 1: return ((struct kexec_sha_region *)loader[0])->len;
	case 2: return 9;
	case 3: return ((unsigned char *)loader[1])[3];
	case 4: return 13;
	case 5: return 17;
	case 6: return 19;
	default: return fns[i & 1](table[i & 7]);
	}
}

static unsigned long *stack_base(void)
{
	return stack;
}

unsigned long purgatory(void)
{
	unsigned long h = 0;
	unsigned long i;
	for (i = 0; i < 8; i++)
		h = h * 31 + pick(h + i);
	return h + stack_base()[h & 63];
}
