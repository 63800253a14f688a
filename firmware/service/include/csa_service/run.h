/* How a stage of the device ends: what the port does next. */
#ifndef CSA_SERVICE_RUN_H_
#define CSA_SERVICE_RUN_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef enum csa_run {
    CSA_RUN_CONTINUE = 0,  /* keep polling */
    CSA_RUN_RESET = 1,     /* reset the chip now: the answer that asked for it has been handed to the link (a chip
                              port waits for the UART's transmission-complete flag first), the requested delay passed */
    CSA_RUN_POWER_LOST = 2 /* the flash lost power inside an operation (simulation only): answer nothing, the power
                              is off; the port powers the device on again (or exits) */
} csa_run;

#ifdef __cplusplus
}
#endif

#endif /* CSA_SERVICE_RUN_H_ */
