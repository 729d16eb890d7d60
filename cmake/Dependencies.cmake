# Dependencies: Debian packages only, found with pkg-config. A missing one stops the configure
# step with the package to install.
find_package(PkgConfig)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config is missing: install it with `apt-get install pkg-config`")
endif()

# tl_require(<prefix> <pkg-config module> <Debian package>)
function(tl_require prefix module debian)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR
      "Missing dependency ${module}: install the Debian package ${debian} "
      "(apt-get install ${debian}), or run .ci/install")
  endif()
  message(STATUS "Found ${module} ${${prefix}_VERSION}")
endfunction()

tl_require(CURL     libcurl    libcurl4-openssl-dev)
tl_require(CJSON    libcjson   libcjson-dev)
tl_require(PNG      libpng     libpng-dev)
tl_require(PCRE2    libpcre2-8 libpcre2-dev)
tl_require(EXPAT    expat      libexpat1-dev)
tl_require(YAML     yaml-0.1   libyaml-dev)
tl_require(CRYPTO   libcrypto  libssl-dev)
tl_require(STB      stb        libstb-dev)
tl_require(JPEG     libjpeg    libjpeg62-turbo-dev)

# libcurl must be the OpenSSL flavour (TLS session sharing and the same crypto as signing).
execute_process(COMMAND curl-config --ssl-backends OUTPUT_VARIABLE TL_CURL_SSL
                OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(TL_CURL_SSL AND NOT TL_CURL_SSL MATCHES "OpenSSL")
  message(FATAL_ERROR "libcurl uses ${TL_CURL_SSL}; install libcurl4-openssl-dev instead")
endif()

find_package(Threads REQUIRED)
find_library(TL_MATH m)

if(TAPLOOP_TESTS)
  tl_require(CRITERION criterion libcriterion-dev)
endif()
