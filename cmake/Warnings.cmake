# Project warning flags, applied per target with tidecast_warnings(target).
function(tidecast_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
    -Wnon-virtual-dtor -Wcast-align -Wformat=2 -Wimplicit-fallthrough)
  if(TIDECAST_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
