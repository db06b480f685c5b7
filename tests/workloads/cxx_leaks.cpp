// SPDX-License-Identifier: MIT
/* C++ frames must read as the source names them (demangled). */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cstdio>
#include <vector>

namespace leaky {

template <typename T> class Pool {
public:
	__attribute__((noinline)) void grow(unsigned long pages)
	{
		void *p = mmap(nullptr, pages * 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		chunks_.push_back(p);
	}
	std::vector<void *> chunks_;
};

struct Registry {
	__attribute__((noinline)) int open_handle(const char *path)
	{
		int fd = ::open(path, O_RDONLY);
		handles_.push_back(fd);
		return fd;
	}
	std::vector<int> handles_;
};

} // namespace leaky

int main()
{
	static leaky::Pool<int> pool;
	static leaky::Registry reg;

	for (int i = 0; i < 4; i++)
		pool.grow(2);
	for (int i = 0; i < 2; i++)
		reg.open_handle("/etc/hostname");
	std::printf("leaked\n");
	return 0;
}
