/* Results of the core's functions: 0 (CSA_OK) or one of these negative values, each naming what is wrong. */
#ifndef CSA_STATUS_H_
#define CSA_STATUS_H_

#ifdef __cplusplus
extern "C" {
#endif

#define CSA_OK 0
#define CSA_ERR_ARGUMENT (-1)   /**< An argument is out of its range (an address, a port, a limit). */
#define CSA_ERR_TOO_LARGE (-2)  /**< The packet is larger than the node's maximum packet size or needs > 256 frames. */
#define CSA_ERR_NO_LINK (-3)    /**< No open link leads to the destination. */
#define CSA_ERR_FULL (-4)       /**< A fixed table is full (ports, interfaces, client calls, pending requests). */
#define CSA_ERR_CONFIG (-5)     /**< The static configuration cannot serve this (a buffer is too small). */
#define CSA_ERR_BUSY (-6)       /**< Not now: the window or a resource is taken; try again after csa_node_poll. */
#define CSA_ERR_EXISTS (-7)     /**< Already there (a port bound twice, an interface added twice). */
#define CSA_ERR_ENCODE (-8)     /**< A message does not encode (a length over its maximum, an undefined enum). */
#define CSA_ERR_TIMEOUT (-9)    /**< No answer within every attempt (an RPC client call). */
#define CSA_ERR_DECODE (-10)    /**< An answer did not decode as the message it should be. */

#ifdef __cplusplus
}
#endif

#endif /* CSA_STATUS_H_ */
