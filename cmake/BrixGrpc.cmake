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
  set(out ${CMAKE_CURRENT_BINARY_DIR})
  foreach(proto ${ARGN})
    get_filename_component(name ${proto} NAME_WE)
    get_filename_component(dir ${proto} DIRECTORY)
    if(dir)
      set(gen ${out}/${dir})
    else()
      set(gen ${out})
    endif()
    add_custom_command(
      OUTPUT ${gen}/${name}.pb.cc ${gen}/${name}.pb.h ${gen}/${name}.grpc.pb.cc ${gen}/${name}.grpc.pb.h
      COMMAND protobuf::protoc --proto_path=${CMAKE_CURRENT_SOURCE_DIR} --cpp_out=${out}
              --grpc_out=${out} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN}
              ${CMAKE_CURRENT_SOURCE_DIR}/${proto}
      DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${proto})
    list(APPEND srcs ${gen}/${name}.pb.cc ${gen}/${name}.grpc.pb.cc)
  endforeach()
  add_library(${target} ${srcs})
  # Generated code is not ours to keep warning-free, and each .pb.cc defines the same file-static
  # tables (schemas, file_default_instances), so it cannot share a unity translation unit.
  target_compile_options(${target} PRIVATE -Wno-unused-parameter -Wno-error)
  set_target_properties(${target} PROPERTIES UNITY_BUILD OFF)
  # Generated files include each other relative to the proto path; brix code includes them
  # relative to src/ (e.g. "cluster/proto/cluster.grpc.pb.h").
  target_include_directories(${target} PUBLIC ${CMAKE_BINARY_DIR}/src ${out})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf ${BRIX_GRPCPP})
endfunction()
