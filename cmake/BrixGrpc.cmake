find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG QUIET)
if(NOT gRPC_FOUND)
  pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
  set(BRIX_GRPCPP PkgConfig::GRPCPP)
else()
  set(BRIX_GRPCPP gRPC::grpc++)
endif()
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

# brix_grpc_library(<target> <proto>...): C++ messages and gRPC stubs for protos in this folder.
function(brix_grpc_library target)
  set(srcs)
  foreach(proto ${ARGN})
    get_filename_component(name ${proto} NAME_WE)
    set(out ${CMAKE_CURRENT_BINARY_DIR})
    add_custom_command(
      OUTPUT ${out}/${name}.pb.cc ${out}/${name}.pb.h ${out}/${name}.grpc.pb.cc ${out}/${name}.grpc.pb.h
      COMMAND protobuf::protoc --proto_path=${CMAKE_CURRENT_SOURCE_DIR} --cpp_out=${out}
              --grpc_out=${out} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN}
              ${CMAKE_CURRENT_SOURCE_DIR}/${proto}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${proto})
    list(APPEND srcs ${out}/${name}.pb.cc ${out}/${name}.grpc.pb.cc)
  endforeach()
  add_library(${target} ${srcs})
  # Generated code is not ours to keep warning-free.
  target_compile_options(${target} PRIVATE -Wno-unused-parameter -Wno-error)
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_BINARY_DIR}/..)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${BRIX_GRPCPP})
endfunction()
