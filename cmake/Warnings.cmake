# Project warning flags, applied per target with tidecast_warnings(target).
function(tidecast_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
    -Wcast-align -Wformat=2 -Wimplicit-fallthrough)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wshadow=local)
  else()
    target_compile_options(${target} PRIVATE -Wshadow-uncaptured-local)
  endif()
  if(TIDECAST_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
