#pragma once
// Sets an environment variable for one scope and restores what was there (sysfs/procfs roots,
// the NVML library path).
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>

namespace mlhpc::test {

class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    setenv(name, value.c_str(), 1);
  }
  // Unsets `name` for the scope.
  scoped_env(const char* name, std::nullptr_t) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    unsetenv(name);
  }
  ~scoped_env() {
    if (m_old)
      setenv(m_name, m_old->c_str(), 1);
    else
      unsetenv(m_name);
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

}  // namespace mlhpc::test
