# Our own targets: warnings are errors; optional sanitizers for the test build.
function(anda_strict target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  if(ANDA_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-sanitize-recover=all
                                             -fno-omit-frame-pointer
                                             # GCC 12 reports false maybe-uninitialized warnings
                                             # inside libstdc++ (std::regex, std::function) under
                                             # the sanitizers' instrumentation.
                                             -Wno-maybe-uninitialized)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
