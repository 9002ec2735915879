# Run with cmake -P: embeds the text file IN as a C++ string constant NAME in OUT.
file(READ "${IN}" content)
file(WRITE "${OUT}.tmp" "// Generated from ${IN}; do not edit.\n#include <string_view>\nnamespace mlhpc {\nextern const std::string_view ${NAME};\nconst std::string_view ${NAME} = R\"MLHPC_EMBED(${content})MLHPC_EMBED\";\n}  // namespace mlhpc\n")
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
