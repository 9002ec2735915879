// A stand-in for libnvidia-ml.so.1 with the ABI of the NVML calls the collector makes. Its GPUs
// draw a constant 300 W (GPU 1: 150 W); the total-energy counter advances in 10 ms steps, as
// real ones advance in steps. FAKE_NVML_INIT_ERROR=<code> makes nvmlInit_v2 fail with that code.
#include <chrono>
#include <cstdlib>
#include <cstring>

// nvml.h's handle type, by its name (the collector calls through pointers of that type).
struct nvmlDevice_st {
  unsigned index;
};
using device = nvmlDevice_st;

namespace {

device devices[2] = {{0}, {1}};
const auto loaded = std::chrono::steady_clock::now();

double seconds_since_load() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - loaded).count();
}

double watts(const device* d) {
  return d->index == 0 ? 300.0 : 150.0;
}

}  // namespace

extern "C" {

int nvmlInit_v2() {
  if (const char* e = std::getenv("FAKE_NVML_INIT_ERROR")) return std::atoi(e);
  return 0;
}
int nvmlShutdown() {
  return 0;
}
const char* nvmlErrorString(int r) {
  return r == 0 ? "Success" : r == 9 ? "Driver Not Loaded" : "Unknown Error";
}
int nvmlSystemGetDriverVersion(char* v, unsigned n) {
  std::strncpy(v, "999.99-fake", n);
  return 0;
}
int nvmlDeviceGetCount_v2(unsigned* n) {
  *n = 2;
  return 0;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned i, device** d) {
  if (i >= 2) return 2;  // NVML_ERROR_INVALID_ARGUMENT
  *d = &devices[i];
  return 0;
}
int nvmlDeviceGetName(device* d, char* name, unsigned n) {
  std::strncpy(name, d->index == 0 ? "Fake GPU 0" : "Fake GPU 1", n);
  return 0;
}
int nvmlDeviceGetTotalEnergyConsumption(device* d, unsigned long long* mj) {
  const double steps = static_cast<double>(static_cast<long long>(seconds_since_load() / 0.01));
  *mj = 1000000ULL + static_cast<unsigned long long>(steps * 0.01 * watts(d) * 1000.0);
  return 0;
}
int nvmlDeviceGetPowerUsage(device* d, unsigned* mw) {
  *mw = static_cast<unsigned>(watts(d) * 1000.0);
  return 0;
}
int nvmlDeviceGetClockInfo(device*, int type, unsigned* mhz) {
  *mhz = type == 1 ? 1980 : type == 2 ? 2619 : 0;
  return type == 1 || type == 2 ? 0 : 3;
}
int nvmlDeviceGetTemperature(device* d, int, unsigned* c) {
  *c = 40 + d->index;
  return 0;
}
int nvmlDeviceGetCurrentClocksEventReasons(device*, unsigned long long* reasons) {
  *reasons = 0x4;  // SW power cap
  return 0;
}

}  // extern "C"
