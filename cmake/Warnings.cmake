# Warnings on an interface target every project target links (STYLE.md: curl's PickyWarnings).
add_library(tl_warnings INTERFACE)
target_compile_options(tl_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
  -Wwrite-strings -Wvla -Wno-overlength-strings)
if(TAPLOOP_WERROR)
  target_compile_options(tl_warnings INTERFACE -Werror)
endif()

# Sanitizer build: AddressSanitizer + UndefinedBehaviorSanitizer, and the arena passes every
# allocation through malloc so the sanitizers see each block.
add_library(tl_sanitize INTERFACE)
if(TAPLOOP_SANITIZE)
  target_compile_options(tl_sanitize INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(tl_sanitize INTERFACE -fsanitize=address,undefined)
  target_compile_definitions(tl_sanitize INTERFACE TL_ARENA_PASSTHROUGH=1)
endif()
