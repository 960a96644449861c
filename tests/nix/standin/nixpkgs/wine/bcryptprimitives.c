/* bcryptprimitives.dll for wine 8.0, which lacks it: ProcessPrng, which Rust's std on Windows
 * imports for its random numbers (Rust 1.78 and later; wine has it since 8.13), answered by
 * BCryptGenRandom. The stand-in's wine64 wrapper installs this DLL into the prefix. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
