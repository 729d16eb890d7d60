# tl_embed(<output .c> <symbol> <input file>): generate a C file at build time that holds the
# input's bytes as `const char <symbol>[]` (NUL-terminated) and `const size_t <symbol>_len`.
# Used for prompt templates and the sim phone's built-in model, so the binary needs no data
# files at run time.
set(TL_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_file.cmake)

function(tl_embed out symbol input)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${input} -DOUT=${out} -DSYMBOL=${symbol} -P ${TL_EMBED_SCRIPT}
    DEPENDS ${input} ${TL_EMBED_SCRIPT}
    COMMENT "Embedding ${input}"
    VERBATIM)
endfunction()
