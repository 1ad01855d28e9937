// The one translation unit that compiles Beast's implementation
// (BOOST_BEAST_SEPARATE_COMPILATION is defined for every target).
#include <boost/beast/src.hpp>
// And Asio's TLS (api/webhook.cpp) under BOOST_ASIO_SEPARATE_COMPILATION.
#include <boost/asio/ssl/impl/src.hpp>
