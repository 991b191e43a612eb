# `cmake --install` of the python component into a fresh prefix, then `import anda` from there.
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --component python --prefix ${PREFIX}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install of the python component failed")
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${PREFIX}/${SITE} ${PYTHON} -c
          "import anda, numpy; assert anda.__file__.startswith('${PREFIX}'), anda.__file__; print(anda.__version__, anda.quantize(numpy.ones(3, numpy.float32), mantissa=4))"
  WORKING_DIRECTORY ${PREFIX}  # not the build tree, whose anda/ would shadow the installed one
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the installed anda package does not import")
endif()
